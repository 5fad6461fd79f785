"""The bundled demo corpus: about 3,000 real papers whose licences allow redistribution.

Files live in ``litsynth/demo/data`` (see LICENSES.md there). Their passage vectors ship
pre-computed in ``vectors.npz`` (checked against ``vectors.npz.sha256``), so building the demo
datastore needs no embedding; ``litsynth demo --rebuild-vectors`` re-embeds and rewrites them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from litsynth.config import Settings
from litsynth.errors import StoreError

#: Questions the demo corpus can answer (the first is the default of ``litsynth demo``).
SAMPLE_QUESTIONS: tuple[str, ...] = (
    "What are the common model architectures for retrieval-augmented language models?",
    "What are the advantages of using Escherichia coli as a host organism for recombinant "
    "protein expression?",
    "How can machine unlearning remove knowledge from language models?",
    "What are the risk factors for dengue transmission?",
)

#: (relative path, format) of every demo input, in ingest order.
DEMO_FILES: tuple[tuple[str, str], ...] = (
    ("human_answers.json", "sqa"),
    ("arxiv_data.csv", "arxiv-csv"),
    ("medline16n0902.xml.gz", "medline"),
    ("pmc", "jats"),
)


def demo_data_dir() -> Path:
    """The folder holding the demo corpus files."""
    return Path(str(resources.files("litsynth") / "demo" / "data"))


def vectors_path() -> Path:
    """The shipped pre-computed passage vectors."""
    return demo_data_dir() / "vectors.npz"


def _is_demo_source(path: str) -> bool:
    """Whether an ingested file is one of the demo files (of any litsynth installation)."""
    parts = Path(path).parts
    return any(parts[i : i + 3] == ("litsynth", "demo", "data") for i in range(len(parts)))


def check_demo_store(home: Path, stats: dict[str, Any]) -> None:
    """Raise :class:`StoreError` when the datastore in ``home`` (its ``stats()``) is neither
    empty nor the demo's: the demo never adds its papers to a user's papers."""
    foreign = [s["path"] for s in stats["sources"] if not _is_demo_source(str(s["path"]))]
    if not foreign and (stats["sources"] or not stats["papers"]):
        return
    what = (
        f"{len(foreign)} non-demo source file(s), e.g. {foreign[0]}"
        if foreign
        else f"{stats['papers']} papers from no demo file"
    )
    raise StoreError(
        f"{home} holds a datastore that is not the demo's ({what}); "
        "litsynth demo does not add its papers to it",
        hint="use an empty or new --home DIR, or omit --home (and LITSYNTH_HOME) for the "
        "cached demo store in ~/.cache/litsynth/demo",
    )


def build_demo(settings: Settings, *, rebuild_vectors: bool = False, progress: bool = True) -> None:
    """Create (or complete) the demo datastore in ``settings.home``. Cached: a second call
    finds every file already ingested and returns quickly. A datastore there that is not
    empty and not the demo's is refused (:func:`check_demo_store`)."""
    from litsynth.session import Litsynth

    vectors = vectors_path()
    with Litsynth(settings, llm=False) as ls:
        store = ls.open_store()
        check_demo_store(settings.home_path(), store.stats())
        if not rebuild_vectors and vectors.exists():
            store.import_vector_cache(vectors)
        for name, fmt in DEMO_FILES:
            ls.ingest([demo_data_dir() / name], fmt, progress=progress)
        if rebuild_vectors:
            store.export_vector_cache(vectors)
