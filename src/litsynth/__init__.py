"""litsynth: cited syntheses of the scientific literature.

The same operations as the ``litsynth`` command, for Python users::

    from litsynth import Litsynth, load_settings
"""

from litsynth.config import Settings, load_settings
from litsynth.errors import (
    ConfigError,
    FingerprintMismatch,
    InputError,
    LitsynthError,
    LLMError,
    ModelError,
    RecordError,
    SourceError,
    StoreError,
    UsageError,
)
from litsynth.records import (
    Answer,
    Author,
    Citation,
    Document,
    Hit,
    Paper,
    Passage,
    Reference,
    Section,
    Stage,
)
from litsynth.session import Litsynth, SearchResult
from litsynth.sources.base import SearchFilters

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Author",
    "Citation",
    "ConfigError",
    "Document",
    "FingerprintMismatch",
    "Hit",
    "InputError",
    "LLMError",
    "Litsynth",
    "LitsynthError",
    "ModelError",
    "Paper",
    "Passage",
    "RecordError",
    "Reference",
    "SearchFilters",
    "SearchResult",
    "Section",
    "Settings",
    "SourceError",
    "Stage",
    "StoreError",
    "UsageError",
    "__version__",
    "load_settings",
]
