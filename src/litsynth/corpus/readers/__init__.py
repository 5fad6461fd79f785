"""One reader per input format; ``FORMATS`` maps each CONTRACT.md format name to its reader."""

from __future__ import annotations

from litsynth.corpus.readers._common import Reader
from litsynth.corpus.readers.arxiv_csv import read_arxiv_csv
from litsynth.corpus.readers.arxiv_json import read_arxiv_json
from litsynth.corpus.readers.beir import read_beir
from litsynth.corpus.readers.jats import read_jats
from litsynth.corpus.readers.jsonl import read_jsonl
from litsynth.corpus.readers.medline import read_medline
from litsynth.corpus.readers.scifact import read_scifact
from litsynth.corpus.readers.sqa import read_sqa
from litsynth.corpus.readers.unarxive import read_unarxive

FORMATS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "beir": read_beir,
    "scifact": read_scifact,
    "sqa": read_sqa,
    "arxiv-json": read_arxiv_json,
    "arxiv-csv": read_arxiv_csv,
    "medline": read_medline,
    "jats": read_jats,
    "unarxive": read_unarxive,
}

#: Formats parsed as XML, whose parser follows the file's own encoding declaration; every other
#: format is read as UTF-8 text.
XML_FORMATS = frozenset({"medline", "jats"})

__all__ = [
    "FORMATS",
    "XML_FORMATS",
    "Reader",
    "read_arxiv_csv",
    "read_arxiv_json",
    "read_beir",
    "read_jats",
    "read_jsonl",
    "read_medline",
    "read_scifact",
    "read_sqa",
    "read_unarxive",
]
