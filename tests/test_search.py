"""Search: units on small fixtures; the JSON contract and quality on the real report.
(Fusion: tests/test_fuse.py; highlights, table listing and the answer on a small corpus:
tests/test_searcher_small.py; the found/not-found decision: tests/test_decision.py.)"""
import json
import re

import pytest

from index.units import build_units
from ingest.passage import Passage, Sentence
from tests.conftest import REPORT


def _passage(text: str, sentences: list[str], kind="paragraph") -> Passage:
    spans, pos = [], 0
    for s in sentences:
        start = text.index(s, pos)
        spans.append(Sentence(start, start + len(s), s))
        pos = start + len(s)
    return Passage("d/p1", "d", kind, "1", ["Part"], text, 0, len(text), "corpus/d.txt", sentences=spans)


def test_long_passages_are_embedded_in_windows_never_cut():
    sentences = [f"Sentence number {n} says something different about case {n}." for n in range(40)]
    p = _passage(" ".join(sentences), sentences)
    count = lambda text: len(text.split())           # a word-count tokenizer for the plumbing
    units = build_units([p], count, max_tokens=50)
    assert all(count(u.text) <= 50 for u in units)
    windows = [u for u in units if u.kind == "window"]
    assert len(windows) > 1
    covered = " ".join(u.text for u in windows)
    assert all(s in covered for s in sentences)      # every sentence is in some window
    assert {u.kind for u in units} == {"window", "sentence"}


def test_table_rows_get_a_unit_per_cell():
    row = Passage("d/t/good", "d", "table-row", None, ["Annex"], "Table 1: Grades · Good · 2009: 63; 2010: 66",
                  0, 10, "corpus/d.txt", label="Table 1 · Good", cells=[["2009", "63"], ["2010", "66"]],
                  table_id="d/t", caption="Table 1: Grades", row_label="Good")
    units = build_units([row], lambda t: len(t.split()), 256)
    assert [u.text for u in units if u.kind == "cell"] == ["Table 1: Grades: Good, 2009: 63", "Table 1: Grades: Good, 2010: 66"]


# -- the real model on the real report ------------------------------------------------------------
@pytest.fixture(scope="session")
def searcher(real_searcher):
    return real_searcher


@pytest.mark.slow
def test_weight_plotting_question_finds_para_40(searcher):
    out = searcher.search("When should a GP plot a baby's weight on a chart?", k=5)
    top = out.results[0]
    assert top.paragraph == "40" and top.citation == "Ofsted (2011) Ages of concern, para 40"
    assert "plot" in top.highlights[0].text
    assert out.answer.passage_id == "ages-of-concern/p40"


@pytest.mark.slow
def test_json_contract_and_spans(searcher):
    text = REPORT.read_text(encoding="utf-8")
    out = searcher.search("Which causes of death are listed for the children who died?", k=10).to_json()
    assert set(out) >= {"query", "model", "answer", "results"}
    assert set(out["answer"]) >= {"found", "confidence", "text", "passage_id", "citation"}
    assert 0.0 <= out["answer"]["confidence"] <= 1.0
    assert [r["rank"] for r in out["results"]] == list(range(1, 11))
    for r in out["results"]:
        assert set(r) >= {"rank", "passage_id", "document", "paragraph", "section", "kind", "text", "score",
                          "source", "start_char", "end_char", "highlights", "citation"}
        span = text[r["start_char"]:r["end_char"]]
        if r["kind"] in ("table", "table-row"):     # rendered with caption and column headings
            assert set(re.findall(r"\w+", span.lower())) <= set(re.findall(r"\w+", r["text"].lower()))
        else:
            assert re.findall(r"\w+", span.lower()) == re.findall(r"\w+", r["text"].lower())
        for h in r["highlights"]:
            assert r["start_char"] <= h["start_char"] < h["end_char"] <= r["end_char"]
    json.dumps(out)


@pytest.mark.slow
def test_save_load_round_trip_gives_identical_results(searcher, passages, tmp_path):
    """What ingest makes in memory is what the index gives back, and writing the loaded index to a
    second folder and loading that gives the same data and the same search results."""
    import numpy as np

    from index import store
    from search.searcher import Searcher
    first = searcher.index
    assert first.passages == passages                          # the report ingested afresh, never saved
    with store.ingest_lock(tmp_path / "second"):
        store.write_index(tmp_path / "second", first.manifest, list(first.documents.values()), first.passages,
                          first.units, first.vectors, first.texts)
    again = Searcher.open(tmp_path / "second")
    assert again.index.path != first.path and again.index.path.is_relative_to(tmp_path)
    assert again.index.documents == first.documents and again.index.passages == first.passages
    assert again.index.units == first.units and again.index.texts == first.texts
    assert np.array_equal(again.index.vectors, first.vectors)
    for q in ("fathers marginalised", "Table 4 suicide", "pre-birth assessment delayed"):
        assert again.search(q) == searcher.search(q)


@pytest.mark.slow
def test_whole_table_question_lists_the_matching_rows(searcher):
    out = searcher.search("Which safeguarding boards had a serious case review judged inadequate?", k=5)
    rows = out.answer.table_rows or []
    assert len(rows) == 6 and all("Inadequate" in r.text for r in rows)


@pytest.mark.slow
def test_an_evaluation_year_written_short_finds_its_column(searcher):
    top = searcher.search("how many reviews were rated good in 2010-11").results[0]
    assert top.passage_id.endswith("table-1/good") and "(2010–11): 66" in top.text


@pytest.mark.slow
def test_filters_restrict_results(searcher):
    out = searcher.search("risk to the baby", k=10, part="young-people")
    assert out.results and all(r.section[0] == "Young people aged 14 years or older" for r in out.results)
    tables = searcher.search("number of deaths", k=5, kinds={"table-row"})
    assert all(r.kind == "table-row" for r in tables.results)


def test_empty_and_overlong_queries_are_refused():
    from search.searcher import MAX_QUERY_CHARS, QueryError, check_query
    with pytest.raises(QueryError):
        check_query("   ")
    with pytest.raises(QueryError):
        check_query("x" * (MAX_QUERY_CHARS + 1))


def test_cli_refuses_an_empty_query_with_exit_code_2(capsys):
    from cli import main
    assert main(["search", "  "]) == 2
    assert "empty" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_batch_keeps_order_and_reports_bad_lines(real_index, tmp_path, capsys):
    from cli import main
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "w", "query": "plot the weight on a chart"}\n{"id": "e", "query": "  "}\n'
                     '{"id": "f", "query": "fathers marginalised"}\n', encoding="utf-8")
    assert main(["--index-dir", str(real_index), "search", "--batch", str(batch), "-k", "3"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["w", "e", "f"]
    assert lines[0]["results"][0]["paragraph"] == "40" and len(lines[0]["results"]) == 3
    assert "empty" in lines[1]["error"]
