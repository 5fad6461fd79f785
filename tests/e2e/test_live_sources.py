"""Live sources inside `ask`/`search`, against a fake Semantic Scholar on 127.0.0.1 that speaks
the Graph API v1 wire format: fusion with the local store, --save-sources, and a failing source
degrading to a warning."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from litsynth.cli import app

pytestmark = pytest.mark.slow

QUESTION = "Can a single mosquito carry multiple dengue virus types?"
FAKE_PAPER = {
    "paperId": "feedfacefeedfacefeedfacefeedfacefeedface",
    "externalIds": {"CorpusId": 424242, "DOI": "10.9999/fake.dengue"},
    "url": "https://www.semanticscholar.org/paper/feedfacefeedfacefeedfacefeedfacefeedface",
    "title": "Co-infection of single Aedes aegypti mosquitoes with several dengue virus serotypes",
    "abstract": "Single Aedes aegypti mosquitoes collected in the field carried multiple dengue "
    "virus types at the same time, showing that one mosquito can harbour several serotypes.",
    "venue": "Fake Journal of Vector Biology",
    "year": 2020,
    "citationCount": 12,
    "openAccessPdf": None,
    "fieldsOfStudy": ["Biology"],
    "publicationDate": "2020-01-01",
    "authors": [{"authorId": "99", "name": "Ada Fake"}],
}


class FakeSemanticScholar:
    """Serves paper search and an empty snippet search under /graph/v1 (named as a fake)."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server

    def serve(self) -> None:
        self.server.expect_request("/graph/v1/paper/search").respond_with_json(
            {"total": 1, "offset": 0, "next": 1, "data": [FAKE_PAPER]}
        )
        self.server.expect_request("/graph/v1/snippet/search").respond_with_json(
            {"data": [], "retrievalVersion": "pa1-v1"}
        )

    def break_down(self) -> None:
        self.server.expect_request("/graph/v1/paper/search").respond_with_data("no", status=500)
        self.server.expect_request("/graph/v1/snippet/search").respond_with_data("no", status=500)


@pytest.fixture
def home(demo_home: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(demo_home, copy)
    return copy


def run(httpserver: HTTPServer, *args: str):  # type: ignore[no-untyped-def]
    env = {
        "LITSYNTH_S2_API_URL": httpserver.url_for("/graph/v1/"),
        "LITSYNTH_SOURCES__BACKOFF": "0",
        "LITSYNTH_SOURCES__RATE_LIMIT": "{}",
    }
    return CliRunner().invoke(app, list(args), env=env)


def test_live_hits_fuse_with_local_and_cited_ones_are_saved(
    httpserver: HTTPServer, home: Path
) -> None:
    FakeSemanticScholar(httpserver).serve()
    papers_before = json.loads(run(httpserver, "status", "--json", "--home", str(home)).stdout)
    result = run(
        httpserver,
        "ask",
        QUESTION,
        "--no-llm",
        "--json",
        "--sources",
        "local,s2",
        "--save-sources",
        "--home",
        str(home),
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    sources = {ctx["paper_id"] for ctx in doc["ctxs"]}
    assert any(pid.startswith("doi:10.9999/fake.dengue") for pid in sources), sources
    assert any(not pid.startswith("doi:10.9999") for pid in sources)  # local papers too
    assert "saved 1 cited live-source paper" in result.stderr
    papers_after = json.loads(run(httpserver, "status", "--json", "--home", str(home)).stdout)
    assert papers_after["papers"] == papers_before["papers"] + 1
    local = run(
        httpserver,
        "search",
        "single Aedes aegypti mosquitoes several dengue serotypes",
        "--json",
        "--home",
        str(home),
        "-k",
        "3",
    )
    assert "doi:10.9999/fake.dengue" in {h["paper_id"] for h in json.loads(local.stdout)}


def test_a_failing_live_source_becomes_a_warning(httpserver: HTTPServer, home: Path) -> None:
    FakeSemanticScholar(httpserver).break_down()
    result = run(
        httpserver, "search", QUESTION, "--json", "--sources", "local,s2", "--home", str(home)
    )
    assert result.exit_code == 0, result.stderr
    assert "warning" in result.stderr and "s2" in result.stderr
    hits = json.loads(result.stdout)
    assert hits and all(h["scores"]["s2"] is None for h in hits)
