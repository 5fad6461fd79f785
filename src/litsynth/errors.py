"""The exceptions litsynth raises. Library code raises these; only the CLI turns them into a
one-line message and exit code 1 (usage errors: exit 2).

    LitsynthError                 any domain error; ``hint`` says what to do next
    ├── ConfigError               settings file or value is invalid
    ├── InputError                an input file is missing, unreadable or of unknown format
    │   └── RecordError           one record in a file is bad (file, line/page, reason)
    │       └── TruncatedFile     the rest of a file cannot be read (truncated, damaged)
    ├── StoreError                the datastore is unusable
    │   └── FingerprintMismatch   the index was built with other embedding/chunk settings
    ├── ModelError                a model is missing, corrupt (sha256) or cannot load
    ├── LLMError                  an LM call failed after its retries
    │   ├── LLMUnavailable        the configured LM cannot be reached or refuses us
    │   └── LLMOutputError        the LM answered but its output cannot be used
    ├── SourceError               a live source failed after its retries (source, query)
    │   └── OfflineError          a non-loopback connection was attempted in offline mode
    └── UsageError                the request itself is contradictory (CLI exit code 2)
"""

from __future__ import annotations


class LitsynthError(Exception):
    """Base of all litsynth errors. ``hint`` is a next step shown to the user."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base


class ConfigError(LitsynthError):
    """Raised when a settings file cannot be parsed or a value is invalid."""


class InputError(LitsynthError):
    """Raised when an input path is missing, unreadable, or its format cannot be detected."""


class RecordError(InputError):
    """One bad record: carries the file, the 1-based line (or page) and the reason. Readers
    yield these instead of raising, so the rest of the file is still read."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class TruncatedFile(RecordError):
    """A file could not be read to its end (truncated or damaged compressed data, an I/O
    error): the records before ``line`` were read, the rest of the file was not."""


class StoreError(LitsynthError):
    """Raised when the datastore cannot be opened or is inconsistent beyond repair."""


class FingerprintMismatch(StoreError):
    """Raised when the stored index was built with different embedding or chunk settings."""


class ModelError(LitsynthError):
    """Raised when a model is missing, fails its checksum, or cannot be loaded."""


class LLMError(LitsynthError):
    """Raised when a language-model call fails after its bounded retries."""


class LLMUnavailable(LLMError):
    """Raised when the configured LM cannot be reached (after retries) or refuses the request
    (authentication, unknown model): a setup problem, never hidden behind a fallback."""


class LLMOutputError(LLMError):
    """Raised when the LM answered but the output could not be parsed into what was asked."""


class SourceError(LitsynthError):
    """Raised when a live source fails after retries; carries the source name and query."""

    def __init__(self, source: str, message: str, *, query: str | None = None) -> None:
        self.source = source
        self.query = query
        super().__init__(f"{source}: {message}")


class OfflineError(SourceError):
    """Raised when offline mode blocks a connection to a non-loopback address."""


class UsageError(LitsynthError):
    """Raised when the request is contradictory (e.g. a live source named while offline)."""
