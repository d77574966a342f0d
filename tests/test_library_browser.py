"""The web app over a small library of real PDFs, in headless Chromium: filter to one council, group by
document, open any result in the reader at its passage and page, export with pages, share links and the
/search API's filters.

The library is four files of ../shared/library (two Dorset inspections, one of Bristol, one piece of DfE
guidance), indexed once per session with the real model (about a minute on 2 cores); the app runs on it in
a subprocess. The launch of Chromium and the page helpers are tests/test_browser.py's; the app helpers are
tests/conftest.py's. A screenshot of the library app goes to test-artifacts/ (git-ignored)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import start_app, stop, wait_until_up
from test_browser import ask, card_ids, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT.parent / "shared" / "library"
FILES = ["ilacs/dorset-2025-05-09.pdf", "ilacs/dorset-2021-11-19.pdf", "ilacs/bristol-2014-12-05.pdf",
         "guidance/children-missing-education-2024.pdf"]
ARTIFACTS = ROOT / "test-artifacts"
BRISTOL = "ilacs/bristol-2014-12-05"
MISSING_Q = "return home interviews for children who go missing"

if not LIBRARY.is_dir():
    pytest.skip(f"no library at {LIBRARY}", allow_module_level=True)


@pytest.fixture(scope="session")
def library_index(tmp_path_factory) -> Path:
    """The four files indexed with the real model, as `askreport --index-dir DIR ingest FILE…` does."""
    missing = [f for f in FILES if not (LIBRARY / f).is_file()]
    if missing:
        pytest.skip(f"library files missing: {', '.join(missing)}")
    from index.build import build
    path = tmp_path_factory.mktemp("library-index")
    summary = build(None, path, paths=[LIBRARY / f for f in FILES], progress=False)
    assert summary.documents == len(FILES), summary
    return path


@pytest.fixture(scope="session")
def library_app(library_index, tmp_path_factory):
    """The app (python app.py --port N) on the library index, answering."""
    app = start_app(library_index, tmp_path_factory.mktemp("library-app") / "app.log")
    proc, url, log = app["proc"], app["url"], app["log"]
    try:
        wait_until_up(proc, url, log)
        yield url
    finally:
        stop(proc)
    text = log.read_text()       # gradio logs the refusals it sends (gr.Error); anything else is a bug
    assert text.count("Traceback") == text.count("gradio.exceptions.Error:"), text[-3000:]


@pytest.fixture
def page(browser, library_app):
    pg = open_page(browser, library_app, height=1000)
    yield pg
    pg.context.close()
    assert not pg.outside, f"the page asked for outside resources: {pg.outside[:5]}"


def cards(pg) -> list[dict]:
    return pg.eval_on_selector_all("#results .card", """cs => cs.map(c => ({
        pid: c.dataset.pid, doc: c.dataset.doc, council: c.dataset.council || null,
        page: c.dataset.page, label: c.dataset.pageLabel,
        name: (c.querySelector('.doc-name') || {}).textContent, cite: c.querySelector('.card-cite').textContent,
        shown: (c.querySelector('.card-head .page') || {}).textContent}))""")


def choose(pg, dropdown: str, typed: str, option: str):
    """Type into a searchable dropdown and pick one of the options it then offers."""
    box = pg.locator(f"{dropdown} input").first
    box.click()
    box.fill(typed)
    pg.get_by_role("option", name=option, exact=True).click()


def test_library_filters_shown_and_single_report_controls_kept(page):
    for selector in ("#doc-filter", "#group", "#doc-type", "#grade", "#year-from", "#year-to", "#kind"):
        page.locator(selector).wait_for(state="visible")       # rendered a moment after the query box
    assert not page.locator("#publisher").is_visible()              # Ofsted's are the inspections, DfE's the guidance
    assert page.locator("#tab-read-button").inner_text().strip() == "Read a document"
    assert "4 documents" in page.locator(".ar-header").inner_text()


def test_filter_to_one_council(page):
    ask(page, MISSING_Q)
    before = cards(page)
    assert len({c["doc"] for c in before}) > 1                     # the whole library first
    choose(page, "#doc-filter", "Bristol", "Bristol · inspection, 5 Dec 2014")
    page.wait_for_selector(f'#results .ar-results[data-documents="{BRISTOL}"]')
    page.keyboard.press("Escape")
    after = cards(page)
    assert after and card_ids(page) != [c["pid"] for c in before]
    for c in after:
        assert c["doc"] == BRISTOL and c["council"] == "Bristol", c
        assert c["name"].startswith("Bristol") and "Inspection of Bristol" in c["cite"], c
        assert c["shown"] == f"p. {c['label']}" and f", p. {c['label']}" in c["cite"], c
    assert "Bristol" in page.locator("#results .results-filters").inner_text()
    page.wait_for_url(f"**doc={BRISTOL.replace('/', '%2F')}**")    # the share link keeps the filter


def test_year_range_and_type(page):
    ask(page, MISSING_Q)
    page.locator("#year-from input").click()
    page.get_by_role("option", name="2021", exact=True).click()
    page.wait_for_selector('#results .ar-results[data-filters="from 2021"]')
    docs = {c["doc"] for c in cards(page)}
    assert docs and BRISTOL not in docs                             # 2014: before the range
    page.locator("#doc-type input").click()
    page.get_by_role("option", name="Guidance", exact=True).click()
    page.wait_for_selector('#results .ar-results[data-filters="Guidance · from 2021"]')
    assert {c["doc"] for c in cards(page)} == {"guidance/children-missing-education-2024"}
    page.wait_for_url("**type=guidance**")
    assert "from=2021" in page.url


def test_open_results_in_the_reader_at_their_passage_and_page(page):
    ask(page, MISSING_Q)
    shown = cards(page)
    seen = set()
    for n, c in enumerate(shown):
        if c["doc"] in seen:
            continue                                                # one per document: each loads its own
        seen.add(c["doc"])
        page.locator("#tab-ask-button").click()
        page.locator("#results .card").nth(n).get_by_role("button", name="Open in reader").click()
        page.wait_for_function("pid => { const e = document.querySelector('#reader .is-cited');"
                               " return e && e.dataset.pid === pid && e.offsetParent !== null; }", arg=c["pid"])
        cited = page.locator("#reader .is-cited")
        assert page.locator("#reader .reader").get_attribute("data-doc") == c["doc"]
        assert page.locator("#reader .report-head h1").inner_text().strip() == \
            page.locator("#results .card").nth(n).locator(".doc-name").get_attribute("title")
        assert cited.get_attribute("data-page") == c["page"] and cited.get_attribute("data-page-label") == c["label"]
        assert page.locator("#reader .reader-at").inner_text() == f"Opened at the cited passage, on p. {c['label']}."
        marker = page.locator(f'#reader .page-mark[data-page="{c["page"]}"]')
        assert marker.count() == 1 and marker.inner_text().strip() == f"p. {c['label']}"
        assert "footnote" in c["cite"] or page.evaluate("""() => { const m = document.querySelectorAll('#reader .page-mark');
            const e = document.querySelector('#reader .is-cited');        // the marker of its page comes before it
            const before = [...m].filter(x => x.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
            return before.length ? before[before.length - 1].dataset.page : null; }""") == c["page"]
        # (a footnote stands after the paragraph citing it, which may run onto later pages)
        box = cited.bounding_box()
        assert box and 0 <= box["y"] < 1000                           # scrolled into view
        if len(seen) == 1:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "library-reader.png"))
        if len(seen) == 3:
            break
    assert len(seen) >= 2                                           # the reader switched documents
    assert page.locator("#reader-doc input").input_value()            # the reader's list names the document


def test_reader_opens_a_document_chosen_by_name(page):
    page.locator("#tab-read-button").click()
    choose(page, "#reader-doc", "Dorset", "Dorset · inspection, 9 May 2025 (Outstanding)")
    page.wait_for_selector('#reader .reader[data-doc="ilacs/dorset-2025-05-09"]')
    marks = page.eval_on_selector_all("#reader .page-mark", "ms => ms.map(m => m.dataset.page)")
    assert marks[0] == "1" and marks == sorted(set(marks), key=int) and len(marks) >= 8
    assert "Outstanding" in page.locator("#reader .report-head .grades").inner_text()


def test_grouped_results_one_card_per_document(page):
    page.locator("#group input").check()
    ask(page, MISSING_Q)
    page.wait_for_selector('#results .ar-results[data-grouped="true"]')
    got = cards(page)
    assert len(got) == len({c["doc"] for c in got}) >= 3
    meta = page.locator("#results .results-meta").first.inner_text()
    assert meta.startswith(f"{len(got)} documents for")
    counts = page.eval_on_selector_all("#results .card .group-count", "gs => gs.map(g => g.textContent)")
    assert len(counts) == len(got) and all(" of the 200 best passages" in t for t in counts)
    page.wait_for_url("**group=1**")


def test_export_carries_document_and_page(page):
    ask(page, MISSING_Q)
    page.wait_for_selector("#dl-csv", state="visible")
    with page.expect_download() as download:
        page.locator("#dl-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows and {"document", "page", "page_label"} <= set(rows[0])
    for r in rows:
        assert r["page"].isdigit() and r["page_label"], r
        assert r["document"] and f", p. {r['page_label']}" in r["citation"], r
    assert any(r["document"] == "Inspection of Bristol local authority children's services" for r in rows)
    with page.expect_download() as download:
        page.locator("#dl-md").click()
    md = Path(download.value.path()).read_text(encoding="utf-8")
    assert md.count(", p. ") >= len(rows)


def test_share_link_reproduces_library_filters(page, library_app):
    page.goto(library_app + f"?q=return+home+interviews&doc={BRISTOL}&group=1")
    page.wait_for_selector('#results .ar-results[data-query="return home interviews"][data-grouped="true"]')
    assert {c["doc"] for c in cards(page)} == {BRISTOL}
    assert page.locator("#group input").is_checked()
    assert "Bristol · inspection, 5 Dec 2014" in page.locator("#doc-filter").inner_text()
    href = page.locator("#results .permalink").get_attribute("href")
    assert "doc=ilacs%2Fbristol-2014-12-05" in href and "group=1" in href


def test_screenshot_library_with_filters_and_grouped_results(page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#group input").check()
    ask(page, MISSING_Q)
    page.wait_for_selector('#results .ar-results[data-grouped="true"]')
    page.locator("#year-from input").click()
    page.get_by_role("option", name="2021", exact=True).click()
    page.wait_for_selector('#results .ar-results[data-filters="from 2021"]')
    page.wait_for_selector("#dl-csv", state="visible")
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "library-grouped.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1281
    phone = open_page(page.context.browser, page.url, 390, 844)
    phone.wait_for_selector("#results .card")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391, "the phone page scrolls sideways"
    phone.screenshot(path=str(ARTIFACTS / "library-phone.png"))
    phone.context.close()


def test_api_search_takes_the_library_filters(library_app):
    from gradio_client import Client
    client = Client(library_app, verbose=False)
    plain = client.predict(MISSING_Q, api_name="/search")               # an old client: no filters
    assert len({r["document"] for r in plain["results"]}) > 1 and "groups" not in plain
    out = client.predict(MISSING_Q, document=BRISTOL, api_name="/search_library")
    assert {r["document"] for r in out["results"]} == {BRISTOL}
    assert all(r["page"] and r["page_label"] for r in out["results"])
    out = client.predict(MISSING_Q, k=5, year_from=2021, year_to=2025, doc_type="inspection", group=True,
                         api_name="/search_library")
    assert {r["document"] for r in out["results"]} == {"ilacs/dorset-2025-05-09", "ilacs/dorset-2021-11-19"}
    assert [g["document"] for g in out["groups"]] == [r["document"] for r in out["results"]]
    out = client.predict(MISSING_Q, document="council:dorset", api_name="/search_library")
    assert {r["document"] for r in out["results"]} <= {"ilacs/dorset-2025-05-09", "ilacs/dorset-2021-11-19"}
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match="no document"):
        client.predict(MISSING_Q, document="ilacs/nowhere-2020-01-01", api_name="/search_library")
