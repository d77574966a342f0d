"""The web app: HTML rendering (fast, in-process) and the running app's API through gradio_client (slow).

The app and index fixtures are in tests/conftest.py, shared with tests/test_browser.py."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
       "TRANSFORMERS_OFFLINE": "1"}
os.environ.update(ENV)


# -- rendering: fast, no model -----------------------------------------------------------------------------
def fake_result(**over) -> dict:
    r = {"rank": 1, "passage_id": "doc/p1", "document": "doc", "paragraph": "1", "section": ["Part <b>", "Sub"],
         "kind": "paragraph", "label": "para 1", "text": "1. First <script>x</script> sentence. Second one.",
         "score": 0.6, "source": "corpus/x.txt", "start_char": 0, "end_char": 10,
         "highlights": [{"start_char": 3, "end_char": 40, "text": "Second one."}], "citation": "Pub (2011) R, para 1"}
    r.update(over)
    return r


def test_render_escapes_everything():
    from present import cards, checkview, pages
    from present.reader import Report
    from ingest.passage import Document, Passage
    doc = Document("doc", "T <i>", "R", "Pub", 2011, "x.txt", "OGL")
    p = Passage("doc/p1", "doc", "paragraph", "1", ["Part <b>", "Sub"], fake_result()["text"], 0, 10, "x", "para 1")
    report = Report([p], {"doc": doc})
    evil = '<img src=x onerror="window.__xss=1">"\'${alert(1)}{{x}}'
    out = {"query": evil, "model": {"preset": "fast", "model_id": "m"}, "glossary": [evil],
           "answer": {"found": True, "confidence": 0.9, "text": evil, "passage_id": "doc/p1", "citation": evil},
           "results": [fake_result(text=evil + " Second one.", citation=evil, label=evil, section=[evil])]}
    page = cards.search_html(report, out, part_label=evil, kind_label=evil, note=evil, share={"q": evil})
    for html_text in (page, checkview.check_html(report, {"query": evil, "verdict": "near-verbatim", "similarity": 0.9,
                                               "matches": [{**fake_result(text=evil), "differences": [
                                                   {"op": "replace", "query": evil, "source": evil,
                                                    "kind": "word", "start_char": 0, "end_char": 5}]}]}),
                      report.reader(), pages.message(evil)):
        assert "<img" not in html_text and "<script" not in html_text and 'onerror="' not in html_text
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in page
    assert "<mark>Second one.</mark>" in page


def test_render_marks_bullets_and_paragraph_numbers():
    from present.common import quote_text, text_html
    text = "17. Practitioners should:\n· ensure a timely assessment\n· take early action"
    html_text = text_html(text, [(text.index("take"), len(text))])
    assert html_text.startswith('<p><span class="pnum">17.</span>')
    assert "<ul><li>ensure a timely assessment</li><li><mark>take early action</mark></li></ul>" in html_text
    hl = [{"text": "ensure a timely assessment"}, {"text": "take early action"}]
    assert quote_text(text, hl) == "ensure a timely assessment · take early action"
    assert quote_text("A b. C d. E f.", [{"text": "A b."}, {"text": "E f."}]) == "A b. … E f."


def test_table_rows_become_cells_from_their_fields():
    from present.tables import row_cells, table_columns
    from ingest.passage import Passage

    def passage(kind, text, **fields):
        p = Passage("d/t", "d", kind, None, [], text, 0, 1, "x")
        for k, v in fields.items():
            setattr(p, k, v)
        return p
    # a table whose first heading is over the row labels
    cols = ["Cause of death", "Number of deaths"]
    table = passage("table", "Table 4: Cause of death · columns: Cause of death | Number of deaths",
                    caption="Table 4: Cause of death", columns=cols)
    assert table_columns(table) == ("Table 4: Cause of death", cols)
    row = passage("table-row", "unused", row_label="Homicide › Other", cells=[["Number of deaths", "16"]])
    assert row_cells(row, cols) == (cols, ["Homicide › Other", "16"])
    cols = ["Board", "Evaluation", "Date"]
    row = passage("table-row", "", row_label="Leeds",
                  cells=[["Evaluation", "Good"], ["Date", "12/08/2010 (12 August 2010)"]])
    assert row_cells(row, cols) == (cols, ["Leeds", "Good", "12/08/2010 (12 August 2010)"])
    # a table with no heading over its row labels
    row = passage("table-row", "", row_label="Good", cells=[["2008", "13"], ["Total", "179"]])
    assert row_cells(row, ["2008", "Total"]) == (["", "2008", "Total"], ["Good", "13", "179"])
    # figures that do not line up with the headings: drawn as text
    row = passage("table-row", "", row_label="Good", cells=[["", "13"], ["", "179"]])
    assert row_cells(row, ["2008", "Total"]) is None
    # a table without headings: its caption is its text
    assert table_columns(passage("table", "Table 9: Nothing below")) == ("Table 9: Nothing below", [])


def test_exports():
    from present.exports import results_csv, results_markdown
    out = {"query": "q", "model": {"preset": "fast", "model_id": "m"},
           "answer": {"found": False, "confidence": 0.1, "text": None, "passage_id": None, "citation": None},
           "glossary": [], "results": [fake_result()]}
    csv_text = results_csv(out)
    assert csv_text.splitlines()[0].startswith("rank,citation,section")
    assert "Pub (2011) R, para 1 · Part <b> › Sub" in csv_text
    md = results_markdown(out)
    assert "> Second one." in md and "does not appear to answer" in md


def test_query_is_cut_not_refused():
    import app
    from search.searcher import MAX_QUERY_CHARS
    text, note = app.cut("x" * 3000)
    assert len(text) == MAX_QUERY_CHARS and note
    text, note = app.cut("word " * 1000)
    assert MAX_QUERY_CHARS - 5 < len(text) <= MAX_QUERY_CHARS and text == text.strip() and note
    assert app.cut("  a  b ") == ("a b", None)
    assert app.kinds_of("findings") == {"paragraph", "list", "quote"}
    assert app.kinds_of("all") is None and app.part_of("all") is None


# -- the running app ----------------------------------------------------------------------------------------
def shape(value):
    """The keys of a JSON value, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value and isinstance(value[0], (dict, list)) else []
    return None


@pytest.mark.slow
def test_api_search_matches_cli_json(real_searcher, client):
    query = "plotting a baby's weight at the 8-week check"
    got = client.predict(query, api_name="/search")
    want = real_searcher.search(query, k=10).to_json()
    assert shape(got) == shape(want)
    assert got["query"] == want["query"]
    assert got["results"][0]["passage_id"] == want["results"][0]["passage_id"] == "ages-of-concern/p40"
    assert [r["passage_id"] for r in got["results"]] == [r["passage_id"] for r in want["results"]]


@pytest.mark.slow
def test_startup_prints_address(app_server, app_url):
    text = app_server["log"].read_text()
    assert f"running at http://127.0.0.1:{app_server['port']}" in text
    assert "Traceback" not in text


@pytest.mark.slow
def test_api_search_options_and_limits(client):
    from gradio_client.exceptions import AppError
    from search.searcher import MAX_QUERY_CHARS
    out = client.predict("checking the weight of babies", k=3, part="babies", kind="practice", api_name="/search")
    assert 0 < len(out["results"]) <= 3
    assert all(r["kind"] == "practice-implications" for r in out["results"])
    assert all(r["section"][0] == "Babies less than one year old" for r in out["results"])
    long = client.predict("fathers " * 600, api_name="/search")
    assert MAX_QUERY_CHARS - 10 < len(long["query"]) <= MAX_QUERY_CHARS and long["results"]
    assert len(client.predict("y" * 5000, api_name="/search")["query"]) == MAX_QUERY_CHARS
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/search")


@pytest.mark.slow
def test_api_check(client):
    out = client.predict("If the weight had been plotted ... it would have shown the falling off in the rate "
                         "of weight increse", api_name="/check")
    assert {"query", "verdict", "matches"} <= set(out)
    assert out["matches"][0]["passage_id"] == "ages-of-concern/p40"


@pytest.mark.slow
def test_fifty_concurrent_searches(client):
    topics = ["weight checks", "fathers", "teenage parents", "pre-birth assessment", "domestic abuse",
              "drug misuse", "housing", "suicide", "house fire", "hospital discharge"]
    forms = ["{}", "what about {}", "lessons on {}", "{} in serious case reviews", "practice implications of {}"]
    queries = [f.format(t) for t in topics for f in forms]
    assert len(set(queries)) == 50

    def one(q):
        return q, client.predict(q, k=5, api_name="/search")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(one, queries))
    elapsed = time.monotonic() - started
    assert len(answers) == 50
    for q, out in answers:
        assert out["query"] == q
        assert out["results"] and re.match(r"ages-of-concern/", out["results"][0]["passage_id"])
    assert elapsed < 120
