"""Ingest: files -> Documents -> the datastore, in committed batches, with progress and a
report.

Each file is read with the corpus readers; bad records are counted and reported (file:line:
reason) while the rest of the file is kept. Documents go to the datastore in batches that are
committed whole, so an interrupted ingest loses at most the batch in flight and running it
again completes the work. A file already ingested to its end with the same sha256 is skipped
without being read; a file that changed is read again, and each of its records whose raw id was
stored from the older version replaces what that version stored (no duplicate, no stale
passage). A file found in a folder whose format cannot be told, or whose every record
was skipped, is not recorded as done, so that running ingest again with ``--format`` reads it. A
file that cannot be read to its end (a truncated ``.gz``) keeps the records before the damage,
gets one skipped-record message naming the line where reading stopped, and is not recorded as
done either; the other files are still ingested. A text file that is not UTF-8 is read anyway,
with a warning.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

from litsynth.corpus.detect import detect_format, expand_paths, read_documents
from litsynth.corpus.readers import XML_FORMATS
from litsynth.corpus.text import first_non_utf8_line
from litsynth.errors import InputError, RecordError, TruncatedFile
from litsynth.index.datastore import AddStats, Datastore
from litsynth.records import Document

#: Skipped-record messages kept in the report (the counts cover all of them).
MAX_ERROR_MESSAGES = 20


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    sha256: str
    #: The format the file was read with (detected for ``auto``); None when not read.
    format: str | None = None
    records_seen: int = 0
    papers_added: int = 0
    papers_merged: int = 0
    papers_unchanged: int = 0
    #: Records that are a new version of one read from an older version of this file.
    papers_replaced: int = 0
    passages_added: int = 0
    records_skipped: int = 0
    already_ingested: bool = False
    #: The file could not be read to its end (truncated or damaged): what was read is kept,
    #: and the file is not recorded as done, so a rerun reports the damage again.
    truncated: bool = False

    def count(self, stats: AddStats) -> None:
        self.papers_added += stats.papers_added
        self.papers_merged += stats.papers_merged
        self.papers_unchanged += stats.papers_unchanged
        self.papers_replaced += stats.papers_replaced
        self.passages_added += stats.passages_added


@dataclass
class IngestReport:
    """Totals over every file, the first skipped-record messages, warnings about files that
    were read with a fallback (not UTF-8), and time per step."""

    files: list[FileReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    strict: bool = False
    parse_seconds: float = 0.0
    chunk_seconds: float = 0.0
    embed_seconds: float = 0.0
    index_seconds: float = 0.0
    total_seconds: float = 0.0

    def _total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def records_seen(self) -> int:
        return self._total("records_seen")

    @property
    def papers_added(self) -> int:
        return self._total("papers_added")

    @property
    def papers_merged(self) -> int:
        return self._total("papers_merged")

    @property
    def papers_unchanged(self) -> int:
        return self._total("papers_unchanged")

    @property
    def papers_replaced(self) -> int:
        return self._total("papers_replaced")

    @property
    def passages_added(self) -> int:
        return self._total("passages_added")

    @property
    def records_skipped(self) -> int:
        return self._total("records_skipped")

    @property
    def files_already_ingested(self) -> int:
        return sum(f.already_ingested for f in self.files)

    @property
    def exit_code(self) -> int:
        """1 when ``strict`` and any record was skipped (CONTRACT.md ``--strict``), else 0."""
        return 1 if self.strict and self.records_skipped else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [dataclasses.asdict(f) for f in self.files],
            "files_already_ingested": self.files_already_ingested,
            "records_seen": self.records_seen,
            "papers_added": self.papers_added,
            "papers_merged": self.papers_merged,
            "papers_unchanged": self.papers_unchanged,
            "papers_replaced": self.papers_replaced,
            "passages_added": self.passages_added,
            "records_skipped": self.records_skipped,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "seconds": {
                "parse": round(self.parse_seconds, 3),
                "chunk": round(self.chunk_seconds, 3),
                "embed": round(self.embed_seconds, 3),
                "index": round(self.index_seconds, 3),
                "total": round(self.total_seconds, 3),
            },
        }

    def summary_text(self) -> str:
        """A few lines for stderr: counts, time split, warnings and the first skipped
        records."""
        lines = [
            f"ingested {len(self.files)} file(s) ({self.files_already_ingested} already done): "
            f"{self.records_seen} records, {self.papers_added} papers added, "
            f"{self.papers_merged} merged, {self.papers_unchanged} unchanged, "
            + (f"{self.papers_replaced} replaced, " if self.papers_replaced else "")
            + f"{self.passages_added} passages, {self.records_skipped} skipped",
            f"time: parse {self.parse_seconds:.1f}s, chunk {self.chunk_seconds:.1f}s, "
            f"embed {self.embed_seconds:.1f}s, index {self.index_seconds:.1f}s "
            f"(total {self.total_seconds:.1f}s)",
        ]
        lines += [f"warning: {message}" for message in self.warnings]
        lines += [f"skipped: {message}" for message in self.errors]
        hidden = self.records_skipped - len(self.errors)
        if hidden > 0:
            lines.append(f"… and {hidden} more skipped record(s)")
        return "\n".join(lines)

    def note_error(self, error: RecordError, file: FileReport) -> None:
        """Count a skipped record and keep its message while fewer than the maximum."""
        file.records_skipped += 1
        if len(self.errors) < MAX_ERROR_MESSAGES:
            self.errors.append(str(error))

    def add_time(self, stats: AddStats) -> None:
        """Add one batch's chunk, embed and index seconds."""
        self.chunk_seconds += stats.chunk_seconds
        self.embed_seconds += stats.embed_seconds
        self.index_seconds += stats.index_seconds


class _RateColumn(ProgressColumn):
    """Records per second of the current file."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0.0:,.1f} records/s", style="progress.data.speed")


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest(
    datastore: Datastore,
    paths: Sequence[Path | str],
    fmt: str = "auto",
    *,
    strict: bool = False,
    progress: bool = True,
    batch_papers: int = 64,
) -> IngestReport:
    """Ingest every file under ``paths`` into ``datastore`` and report what happened.

    Missing paths and named files of unknown format raise :class:`InputError` before any
    file is read. Bad records never raise: they are counted in the report (with ``strict``
    the report's ``exit_code`` is 1).
    """
    started = time.perf_counter()
    files = list(expand_paths([Path(p) for p in paths]))
    if fmt == "auto":
        for path, named in files:
            if named:
                detect_format(path)  # raises InputError naming the file
    report = IngestReport(strict=strict)
    console = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} records"),
        _RateColumn(),
    )
    with Progress(*columns, console=console, disable=not progress, transient=False) as bar:
        for path, named in files:
            _ingest_file(datastore, path, named, fmt, report, bar, batch_papers)
    report.total_seconds = time.perf_counter() - started
    return report


def _ingest_file(
    datastore: Datastore,
    path: Path,
    named: bool,
    fmt: str,
    report: IngestReport,
    bar: Progress,
    batch_papers: int,
) -> None:
    key = str(path.resolve())
    stat = path.stat()
    file = FileReport(path=key, sha256=file_sha256(path))
    report.files.append(file)
    task = bar.add_task(path.name, total=None)
    previous = datastore.source_record(key)
    if (
        previous
        and previous["finished"]
        and previous["sha256"] == file.sha256
        # Rows written before this rule marked a file of unknown format done (0 seen, 1
        # skipped): read it again.
        and not _nothing_kept(previous["records_seen"], previous["records_skipped"])
    ):
        file.already_ingested = True
        bar.update(task, description=f"{path.name} (already ingested)")
        return
    try:
        file.format = detect_format(path) if fmt == "auto" else fmt
    except InputError as exc:
        if named:
            raise
        # A file found inside a folder whose format cannot be told: skip it, keep going. It is
        # not recorded as read, so running ingest on it again with --format reads it.
        if not isinstance(exc, RecordError):  # a damaged file's error already has its line
            exc = RecordError(str(path), None, str(exc).removeprefix(f"{path}: "))
        report.note_error(exc, file)
        bar.update(task, description=f"{path.name} (skipped: unknown format)")
        return
    if file.format not in XML_FORMATS:
        _warn_if_not_utf8(path, report)
    row = {
        "path": key,
        "sha256": file.sha256,
        "size": stat.st_size,
        "mtime": stat.st_mtime,
        "format": file.format,
    }
    datastore.save_source({**row, "finished": 0})
    batch: list[Document] = []
    for item in _timed(read_documents([path], file.format), report):
        file.records_seen += 1
        if isinstance(item, RecordError):
            report.note_error(item, file)
            file.truncated = file.truncated or isinstance(item, TruncatedFile)
            bar.advance(task)
            continue
        batch.append(item)
        if len(batch) >= batch_papers:
            bar.advance(task, _flush(datastore, batch, file, report))
    bar.advance(task, _flush(datastore, batch, file, report))
    # Papers and passages per file are counted from the datastore itself (``stats()``), so
    # that a resumed ingest does not replace the totals with its own share.
    datastore.save_source(
        {
            **row,
            "records_seen": file.records_seen,
            "records_unchanged": file.papers_unchanged,
            "records_skipped": file.records_skipped,
            "finished": 0
            if file.truncated or _nothing_kept(file.records_seen, file.records_skipped)
            else 1,
        }
    )


def _nothing_kept(records_seen: int, records_skipped: int) -> bool:
    """Whether every record of a file was skipped, as when it was read with the wrong format:
    such a file is not done, so that a rerun with another ``--format`` reads it."""
    return records_skipped > 0 and records_skipped >= records_seen


def _warn_if_not_utf8(path: Path, report: IngestReport) -> None:
    """Add a warning naming ``path`` and its first line that is not UTF-8, if there is one:
    such bytes are read as Windows-1252, which is likely but not certain to be right."""
    line = first_non_utf8_line(path)
    if line is not None:
        report.warnings.append(
            f"{path}:{line}: not valid UTF-8; bytes that are not UTF-8 were read as "
            "Windows-1252 (Latin-1), check the text or convert the file to UTF-8"
        )


def _flush(
    datastore: Datastore, batch: list[Document], file: FileReport, report: IngestReport
) -> int:
    """Store the pending documents as one committed batch, empty the list, and return how
    many documents were stored (the progress bar counts stored records)."""
    if not batch:
        return 0
    stats = datastore.add_documents(batch, batch_papers=len(batch), source_version=file.sha256)
    file.count(stats)
    report.add_time(stats)
    done = len(batch)
    batch.clear()
    return done


def _timed(
    items: Iterator[Document | RecordError], report: IngestReport
) -> Iterator[Document | RecordError]:
    """``items``, adding the time spent producing each one to ``report.parse_seconds``."""
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            report.parse_seconds += time.perf_counter() - started
            return
        report.parse_seconds += time.perf_counter() - started
        yield item
