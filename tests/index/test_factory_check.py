"""A FAISS factory the index cannot be built with is refused before the store records it, so
a later run with a correct factory uses the same home."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_builders import make_doc

from litsynth.config import fingerprint, load_settings
from litsynth.errors import StoreError
from litsynth.index import datastore as datastore_module
from litsynth.index.datastore import Datastore


@pytest.mark.parametrize("factory", ["Bogus99", "PQ7", "IVF16,Flat("])
def test_an_invalid_factory_records_nothing(tmp_path: Path, factory: str) -> None:
    home = str(tmp_path / "home")
    bad = load_settings(overrides={"home": home, "index.factory": factory})
    with pytest.raises(StoreError, match="invalid FAISS factory"):
        Datastore.open(bad)
    good = load_settings(overrides={"home": home})
    with Datastore.open(good) as store:
        assert store.stats()["fingerprint"] == fingerprint(good)


@pytest.mark.slow
def test_without_a_known_dimension_the_first_batch_checks_the_factory(
    tmp_path: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model whose config files do not declare its dimension: nothing to check on open.
    monkeypatch.setattr(datastore_module, "configured_dimension", lambda name: None)
    home = str(tmp_path / "home")
    doc = make_doc("Coral bleaching", "Warm seas bleach corals.", ids={"doi": "10.1/c"})
    with Datastore.open(load_settings(overrides={"home": home, "index.factory": "PQ7"})) as bad:
        with pytest.raises(StoreError, match="invalid FAISS factory"):
            bad.add_documents([doc])
        stats = bad.stats()
        assert (stats["papers"], stats["passages"], stats["fingerprint"]) == (0, 0, None)
    good = load_settings(overrides={"home": home})
    with Datastore.open(good) as store:
        assert store.add_documents([doc]).papers_added == 1
        assert store.stats()["fingerprint"] == fingerprint(good)
        assert store.search_dense("coral bleaching", 1)[0][0] == "doi:10.1/c#0"
