"""Output paths of every command that writes a file (``ask --out/--trace``, ``verify --out``,
``search --run-out``, ``eval … --out DIR``): one check before the work, one way to write.

Missing parent folders are created (at write time; the check leaves no trace). A path that
cannot be written is an :class:`OutputError`: one line naming the path and the reason.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from litsynth.errors import LitsynthError

__all__ = [
    "OutputError",
    "check_output",
    "output_errors",
    "prepare_output",
    "write_text",
    "writing",
]


class OutputError(LitsynthError):
    """Raised when an output file or folder cannot be created or written."""


def _reason(exc: OSError, folder: Path) -> str:
    code = exc.errno
    if code == errno.EISDIR:
        return "it is a folder"
    if code == errno.ENOTDIR:
        return "a parent is a file, not a folder"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.EROFS:
        return "read-only file system"
    if code == errno.ENOSPC:
        return "no space left on the device"
    if code == errno.ENOENT and folder.is_dir():
        return f"the folder {folder} does not accept new files"
    return (exc.strerror or str(exc)).lower()


def _error(option: str, path: Path, reason: str) -> OutputError:
    label = f"{option} " if option else ""
    return OutputError(f"cannot write {label}{path}: {reason}")


def _make_parents(folder: Path, option: str, path: Path) -> list[Path]:
    """Create ``folder`` and its missing ancestors; return the ones created, outermost first.
    A file where a folder should be is an :class:`OutputError`."""
    created: list[Path] = []
    for parent in [*reversed(folder.parents), folder]:
        if parent.is_dir():
            continue
        if parent.exists() or parent.is_symlink():
            raise _error(option, path, f"{parent} is a file, not a folder")
        try:
            parent.mkdir()
        except FileExistsError:
            if not parent.is_dir():
                raise _error(option, path, f"{parent} is a file, not a folder") from None
            continue
        except OSError as exc:
            raise _error(option, path, _reason(exc, parent.parent)) from exc
        created.append(parent)
    return created


def check_output(path: Path | str, *, option: str = "", folder: bool = False) -> Path:
    """Raise :class:`OutputError` unless ``path`` (a file, or a folder when ``folder``) can be
    written: its parent folders exist or can be created, it is not a folder (a file, when
    ``folder``), and it accepts writing. Probes by creating and removing what is missing, so
    nothing is left behind and an existing file is not changed. Call before expensive work."""
    path = Path(path)
    target_folder = path if folder else path.parent
    if folder and path.exists() and not path.is_dir():
        raise _error(option, path, "it is a file, not a folder")
    if not folder and path.is_dir():
        raise _error(option, path, "it is a folder")
    created = _make_parents(target_folder, option, path)
    try:
        if folder:
            probe = path / f".litsynth-write-check-{uuid.uuid4().hex}"
            probe.open("x").close()
            probe.unlink()
        elif path.exists():
            with path.open("a"):  # opens for writing without changing the contents
                pass
        else:
            path.open("x").close()
            path.unlink()
    except OSError as exc:
        raise _error(option, path, _reason(exc, target_folder)) from exc
    finally:
        for made in reversed(created):
            with suppress(OSError):
                made.rmdir()
    return path


def prepare_output(path: Path | str, *, option: str = "", folder: bool = False) -> Path:
    """Create the folders ``path`` needs (``path`` itself when ``folder``) just before
    writing; :class:`OutputError` when that fails."""
    path = Path(path)
    _make_parents(path if folder else path.parent, option, path)
    return path


@contextmanager
def output_errors(path: Path | str, *, option: str = "") -> Iterator[None]:
    """Turn an ``OSError`` raised while writing ``path`` (a file, or a file in the folder
    ``path``, or one of its parent folders) into an :class:`OutputError`; an ``OSError`` about
    another path (an input, say) passes through."""
    path = Path(path)
    try:
        yield
    except OSError as exc:
        if not isinstance(exc.filename, (str, os.PathLike)):
            raise _error(option, path, _reason(exc, path.parent)) from exc
        where = Path(exc.filename)
        if where != path and path not in where.parents and where not in path.parents:
            raise
        raise _error(option, where, _reason(exc, where.parent)) from exc


@contextmanager
def writing(path: Path | str, *, option: str = "") -> Iterator[Path]:
    """Around the code that writes the file ``path``: its missing parent folders are created
    first, and an ``OSError`` about it becomes an :class:`OutputError`."""
    path = prepare_output(path, option=option)
    with output_errors(path, option=option):
        yield path


def write_text(path: Path | str, text: str, *, option: str = "") -> Path:
    """Write ``text`` (UTF-8) to ``path``, creating missing parent folders."""
    with writing(path, option=option) as target:
        target.write_text(text, encoding="utf-8")
    return target
