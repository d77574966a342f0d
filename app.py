"""askreport in the browser: ask the documents, check a quote, read them.

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR]

Address and port also come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT; the default address is
127.0.0.1. The model and index load once at start (the index is built first if there is none).
Works with no network: no share link, no analytics, no fonts or scripts from elsewhere.

API: `/search` (query, k=10, part="all", kind="all"), `/search_library` (the same, then document="",
year_from=None, year_to=None, doc_type="all", group=False, publisher="all", grade="") and `/check` (text)
return the same JSON as `askreport search --json` / `askreport check --json`; `/search` keeps the four
inputs it always had, so clients that post to it over HTTP keep working. A query longer than search.MAX_QUERY_CHARS characters is cut to that length and answered. At most
$ASKREPORT_QUEUE_MAX requests (default 256) wait in the queue; beyond that a request gets "queue full".

Thin by design: handlers call the Searcher / check code the CLI uses and hand the typed results to the
renderers in present/ (Jinja2 templates); the page's CSS and its one small script are in present/assets/.
Nothing here knows a document: part labels, example questions, the check example and the names the UI
uses come from the index's documents (corpus/catalog.toml and each outline).
"""
from __future__ import annotations

import config  # noqa: F401,I001  (first: sets the offline environment before gradio loads)

import argparse
import atexit
import hashlib
import itertools
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import gradio as gr

from ingest.passage import slug
from present import cards, checkview, exports, pages
from present.layout import library_filters
from present.filters import KIND_CHOICES, LibraryFilters, kinds_of, part_of  # noqa: F401 (tests)
from present.reader import Report
from search import MAX_QUERY_CHARS, QueryError, Searcher, open_or_build
from search.documents import Filters
from search.results import CheckResult
from check.checker import check
from check.judge import get_judge

ASSETS = config.ROOT / "present" / "assets"
log = logging.getLogger("askreport.app")

FRIENDLY_ERROR = "Something went wrong while searching. Please try again, or try different words."
GROUP_K = 20                      # grouped results: documents shown
JUDGE_SECONDS = 10.0              # how long the page waits for the local judge's reading of an answer


def cut(text: str) -> tuple[str, str | None]:
    """The text with whitespace tidied and cut to MAX_QUERY_CHARS, and a note when it was cut."""
    text = " ".join((text or "").split())
    if len(text) > MAX_QUERY_CHARS:
        note = f"Your text was {len(text):,} characters long; only its first {MAX_QUERY_CHARS:,} characters were used."
        return text[:MAX_QUERY_CHARS].rstrip(), note
    return text, None


class App:
    """The loaded searcher and renderer, and the app's functions (UI handlers and API)."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.report = Report(searcher.passages, searcher.documents)
        self.library = self.report.library
        documents = list(searcher.documents.values())
        parts: dict[str, str] = {}
        for doc in documents:
            for name, label in doc.parts.items():
                parts.setdefault(name, label)
        self.part_choices = [("Everything", "all"), *((label, name) for name, label in parts.items())]
        self.examples = [(label, question) for doc in documents for label, question in doc.examples]
        self.check_example = next((doc.check_example for doc in documents if doc.check_example), None)
        self.question_hint = next((doc.question_hint for doc in documents if doc.question_hint), None)
        # A library (more than one document): filters over the documents, grouped results, and a reader that
        # draws one document when it is opened. One document: the whole reader, drawn once, as always.
        self.is_library = self.library.plural
        self.filters = LibraryFilters(searcher.documents)      # the API takes them for any index
        self.reader_html = pages.read_welcome(self.library) if self.is_library else self.report.reader()
        self.tmp = Path(tempfile.mkdtemp(prefix="askreport-app-"))
        atexit.register(shutil.rmtree, self.tmp, True)
        self.judge = get_judge() if config.judge_wanted() else None      # None: not installed, or turned off
        self.stamps = itertools.count(1)

    # -- the code the CLI uses -------------------------------------------------------------------
    def search(self, query: str, k: int = 10, part: str | None = "all", kind: str | list | None = "all",
               filters: Filters | None = None, group: bool = False):
        text, note = cut(query)
        out = self.searcher.search(text, k=max(1, min(int(k), 50)), kinds=kinds_of(kind), part=part_of(part),
                                   filters=filters or None, group=bool(group))
        return out, note

    def check(self, text: str, judge=None) -> tuple[CheckResult, str | None]:
        text, note = cut(text)
        return check(self.searcher, text, judge=judge), note

    # -- API -------------------------------------------------------------------------------------
    def api_search(self, query: str, k: int = 10, part: str = "all", kind: str = "all") -> dict:
        """Search the documents: the same JSON as `askreport search --json` (filters: /search_library)."""
        return self.api_search_library(query, k, part, kind)

    def api_search_library(self, query: str, k: int = 10, part: str = "all", kind: str = "all", document: str = "",
                           year_from: int | None = None, year_to: int | None = None, doc_type: str = "all",
                           group: bool = False, publisher: str = "all", grade: str = "") -> dict:
        """Search the documents: the same JSON as `askreport search --json`. part: all, or a part the outlines
        name. kind: all, findings, practice, case-studies, tables, or passage kinds separated by commas. Optional
        library filters: document (ids, prefixes such as "ilacs/", or "council:<name>", separated by commas),
        year_from, year_to, doc_type, publisher, grade ("inadequate" or "judgement:grade"); group: the best passage
        of each of the k best documents, with `groups`. A query over MAX_QUERY_CHARS characters is cut."""
        try:
            filters = self.filters.search_filters(document, doc_type, publisher, year_from, year_to, grade)
            return self.search(query, k, part, kind, filters, group)[0].to_json()
        except QueryError as e:
            raise gr.Error(str(e)) from None
        except Exception:  # a clear message, never a traceback or a bare "error"
            log.exception("API search failed")
            raise gr.Error(FRIENDLY_ERROR) from None

    def api_check(self, text: str) -> dict:
        """Check a quote or claim against the documents: the same JSON as `askreport check --json`
        (verdict: verbatim, near-verbatim, paraphrase, figures-differ or not-found). Text longer than
        MAX_QUERY_CHARS characters is cut to that length."""
        try:
            return self.check(text)[0].to_json()
        except QueryError as e:
            raise gr.Error(str(e)) from None
        except Exception:
            log.exception("API check failed")
            raise gr.Error("Something went wrong while checking. Please try again.") from None

    # -- UI handlers -----------------------------------------------------------------------------
    def ui_search(self, query: str, part: str, kind: str, documents=None, doc_type: str = "all",
                  publisher: str = "all", grade: str = "all", year_from: str = "any", year_to: str = "any",
                  group: bool = False, judged: bool = False):
        """The results as HTML, and the search as its JSON (kept in the page's state for the downloads).
        The arguments after `kind` are a library's filters (absent for one document): documents, type,
        publisher, grade, years from and to, group. judged: the same search with its answer read by the
        local judge (the second step of the Ask tab's search, run after the results are shown)."""
        if not (query or "").strip():
            return pages.message("Type a question, then press Enter.", "info"), None
        try:
            filters = self.filters.search_filters(documents, doc_type, publisher, year_from, year_to, grade)
            group = bool(group) and self.is_library
            out, note = self.search(query, GROUP_K if group else 10, part, kind, filters, group)
            judging = "pending" if self.judge is not None and out.answer.found else None
            if judged:
                if judging is None:
                    return gr.update(), gr.update()
                from search.judged import judge_answer
                out = judge_answer(self.searcher, out, judge=self.judge, timeout=JUDGE_SECONDS)
                judging = "timeout" if out.answer.judge is None else None
        except QueryError as e:
            return pages.message(f"That search could not be run: {e}.", "warn"), None
        except Exception:  # never a traceback in the page
            log.exception("search failed")
            return pages.message(FRIENDLY_ERROR, "error"), None
        labels = (dict((v, k) for k, v in self.part_choices).get(part) if part not in (None, "all") else None,
                  dict((v, k) for k, v in KIND_CHOICES).get(kind) if kind not in (None, "all") else None)
        share = {"q": out.query, "part": part if part != "all" else None, "kind": kind if kind != "all" else None}
        extra = {}
        if self.is_library:
            share.update(self.filters.share(documents, doc_type, publisher, grade, year_from, year_to, group))
            extra = {"library_labels": self.filters.labels(documents, doc_type, publisher, grade, year_from, year_to),
                     "documents": filters.documents if filters and filters.documents else []}
        page = cards.search_html(self.report, out, part_label=labels[0], kind_label=labels[1], note=note,
                                 share=share, stamp=next(self.stamps), judging=judging, **extra)
        return page, out.to_json()

    def ui_example(self, question: str, part: str, kind: str, *library):
        return (question, *self.ui_search(question, part, kind, *library))

    def ui_read(self, want: str | None):
        """A library's reader: one document, drawn when first opened (a few are kept), and the reader's list set
        to it. `want`: a document chosen in that list, or "<passage id> #<nonce>" that the page's script writes
        when "Open in reader" names a passage whose document is not in the reader."""
        key = (want or "").rsplit(" #", 1)[0].strip()
        doc = self.report.get(key).document if self.report.get(key) is not None else key
        html = self.report.document_reader(doc) if doc else None
        if html is None:
            return (pages.message("There is no such document in the library.", "warn") if doc
                    else pages.read_welcome(self.library)), gr.update()
        return html, gr.update(value=doc)

    def ui_export(self, out: dict | None):
        if not out or not out.get("results"):
            return gr.update(visible=False, value=None), gr.update(visible=False, value=None)
        try:
            csv_text, md_text = exports.results_csv(out, self.library), exports.results_markdown(out, self.library)
            folder = self.tmp / hashlib.sha256((csv_text + md_text).encode()).hexdigest()[:16]
            folder.mkdir(exist_ok=True)
            name = "askreport-" + (slug(out["query"], 40) or "results")
            (folder / f"{name}.csv").write_text(csv_text, encoding="utf-8")
            (folder / f"{name}.md").write_text(md_text, encoding="utf-8")
        except Exception:
            log.exception("export failed")
            return gr.update(visible=False, value=None), gr.update(visible=False, value=None)
        return (gr.update(visible=True, value=str(folder / f"{name}.csv")),
                gr.update(visible=True, value=str(folder / f"{name}.md")))

    def ui_check(self, text: str, judged: bool = False):
        """The check tab's verdict. judged: the second step, the same check with the local judge asked whether
        the closest passage states the text (no change when it was not asked)."""
        if not (text or "").strip():
            return pages.message("Paste a quote or a claim, then press Check.", "info")
        if judged and self.judge is None:
            return gr.update()
        try:
            out, note = self.check(text, judge=self.judge if judged else None)
            if judged and out.judge is None:
                return gr.update()
        except QueryError as e:
            return pages.message(f"That text could not be checked: {e}.", "warn")
        except Exception:
            log.exception("check failed")
            return pages.message("Something went wrong while checking. Please try again.", "error")
        pending = not judged and self.judge is not None and out.verdict == "paraphrase"
        return checkview.check_html(self.report, out, note=note, judging="pending" if pending else None)

    def ui_load(self, request: gr.Request):
        params = dict(request.query_params) if request is not None else {}
        query = (params.get("q") or "").strip()
        part = params.get("part") if params.get("part") in dict((v, k) for k, v in self.part_choices) else "all"
        kind = params.get("kind") if params.get("kind") in dict((v, k) for k, v in KIND_CHOICES) else "all"
        library = self.filters.from_link(params) if self.is_library else []
        if not query:
            return gr.update(), gr.update(), gr.update(), *(gr.update() for _ in library), gr.update(), None
        return (cut(query)[0], part, kind, *library, *self.ui_search(query, part, kind, *library))

# -- layout --------------------------------------------------------------------------------------------
UPDATE_URL = (ASSETS / "update-url.js").read_text(encoding="utf-8")   # the address reproduces a search


def build_demo(app: App) -> gr.Blocks:
    private = {"api_visibility": "private"}
    lib = app.library
    title = f"{lib.single.short_title} · askreport" if lib.single else "askreport"
    hint = f"Ask a question, e.g. {app.question_hint}" if app.question_hint else "Ask a question"
    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=(3600, 3600), fill_width=False) as demo:
        gr.HTML(pages.header(lib), js_on_load=None, elem_id="ar-header", apply_default_css=False)
        state = gr.State(None)
        with gr.Tabs(elem_id="ar-tabs"):
            with gr.Tab("Ask", id="ask", elem_id="tab-ask"):
                with gr.Row(equal_height=True, elem_id="ask-row"):
                    query = gr.Textbox(label="Your question", show_label=False, lines=1, max_lines=1, scale=5,
                                       placeholder=hint, elem_id="query", autofocus=True, submit_btn=False,
                                       container=False)
                    go = gr.Button("Search", variant="primary", scale=0, min_width=96, elem_id="search-btn")
                def part_and_kind():
                    return (gr.Dropdown(app.part_choices, value="all", label=f"Part of {lib.noun}", elem_id="part",
                                        filterable=False, min_width=160, visible=len(app.part_choices) > 1),
                            gr.Dropdown(KIND_CHOICES, value="all", label="Kind of text", elem_id="kind",
                                        filterable=False, min_width=160))
                (part, kind), library = library_filters(app.filters, part_and_kind) if app.is_library else ((None, None), [])
                if not app.is_library:
                    with gr.Row(elem_id="filters", equal_height=True):
                        part, kind = part_and_kind()
                with gr.Row(elem_id="examples", visible=bool(app.examples)):
                    gr.HTML(pages.label("Try:"), js_on_load=None, elem_classes="ex-label-wrap")
                    example_buttons = [(gr.Button(label, size="sm", variant="secondary", elem_classes="ex-btn",
                                                  min_width=0, scale=0), question) for label, question in app.examples]
                results = gr.HTML(pages.welcome(lib), elem_id="results", js_on_load=None, apply_default_css=False)
                with gr.Row(elem_id="exports"):
                    csv_btn = gr.DownloadButton("Download results (CSV)", visible=False, size="sm",
                                                variant="secondary", elem_id="dl-csv")
                    md_btn = gr.DownloadButton("Download quotes (Markdown)", visible=False, size="sm",
                                               variant="secondary", elem_id="dl-md")
            with gr.Tab("Check a quote", id="check", elem_id="tab-check"):
                check_text = gr.Textbox(label="Quote or claim", lines=4, max_lines=12, elem_id="check-text",
                                        placeholder=f"Paste a quotation or a claim attributed to {lib.noun}…")
                with gr.Row(elem_id="check-row"):
                    check_go = gr.Button("Check", variant="primary", scale=0, min_width=120, elem_id="check-btn")
                    check_ex = gr.Button("Try a misremembered quote", size="sm", variant="secondary", scale=0,
                                         min_width=0, elem_classes="ex-btn", visible=bool(app.check_example))
                check_out = gr.HTML(pages.check_welcome(lib), elem_id="check-result", js_on_load=None,
                                    apply_default_css=False)
            with gr.Tab("Read a document" if app.is_library else f"Read {lib.noun}", id="read", elem_id="tab-read"):
                if app.is_library:      # one document at a time, drawn when opened
                    reader_doc = gr.Dropdown(app.filters.reader_choices, value=None, label="Document", elem_id="reader-doc",
                                             filterable=True, info="Type part of a title or a council’s name")
                    reader_want = gr.Textbox(visible="hidden", elem_id="reader-want", container=False)
                reader = gr.HTML(app.reader_html, elem_id="reader", js_on_load=None, apply_default_css=False)

        inputs = [query, part, kind, *library]
        searched = dict(fn=app.ui_search, inputs=inputs, outputs=[results, state],
                        show_progress="minimal", **private)
        changes = [part.input, kind.input, *(c.input for c in library)]
        exported = dict(fn=app.ui_export, inputs=state, outputs=[csv_btn, md_btn], show_progress="hidden", **private)
        judged = dict(fn=partial(app.ui_search, judged=True), inputs=inputs, outputs=[results, state], show_progress="hidden", **private)
        searches = [query.submit(**searched), go.click(**searched), *(change(**searched) for change in changes),
                    *(button.click(partial(app.ui_example, question), inputs[1:], [query, results, state],
                                   show_progress="minimal", **private) for button, question in example_buttons)]
        # Results first; then the judge's reading of the answer, when installed. A new search cancels a reading
        # still on its way, which would otherwise draw the previous question's results over the new ones.
        readings = [event.then(**exported).then(None, inputs, None, js=UPDATE_URL, **private).then(**judged)
                    for event in searches]
        for trigger in (query.submit, go.click, *changes, *(button.click for button, _ in example_buttons)):
            trigger(None, None, None, cancels=readings, **private)
        for reading in readings:
            reading.then(**exported)
        if app.is_library:
            for box, event in ((reader_want, reader_want.change), (reader_doc, reader_doc.input)):
                event(app.ui_read, box, [reader, reader_doc], show_progress="minimal", **private)
        checked = dict(fn=app.ui_check, inputs=check_text, outputs=check_out, show_progress="minimal", **private)
        check_judged = dict(fn=partial(app.ui_check, judged=True), inputs=check_text, outputs=check_out,
                            show_progress="hidden", **private)
        for event in (check_go.click(**checked), check_text.submit(**checked),
                      check_ex.click(lambda: app.check_example, None, check_text, queue=False, **private).then(**checked)):
            event.then(**check_judged)
        demo.load(app.ui_load, None, [*inputs, results, state], **private).then(**exported).then(**judged) \
            .then(**exported)

        gr.api(app.api_search, api_name="search")
        gr.api(app.api_search_library, api_name="search_library")
        gr.api(app.api_check, api_name="check")
    demo.queue(default_concurrency_limit=4, max_size=config.queue_max())
    return demo


def load_app(index_dir: Path) -> App:
    started = time.perf_counter()
    print(f"askreport: loading the model and the index from {index_dir} …", file=sys.stderr, flush=True)
    searcher = open_or_build(config.corpus_dir(), index_dir)
    app = App(searcher)
    app.searcher.search("warm up the model")       # the first query pays for lazy initialisation
    if app.judge is not None:                      # read into memory now, not in the first judgement
        threading.Thread(target=app.judge.load, daemon=True, name="askreport-judge-load").start()
    print(f"askreport: ready in {time.perf_counter() - started:.1f}s "
          f"({len(searcher.passages)} passages, model {searcher.info.model_id})", file=sys.stderr, flush=True)
    return app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="app.py", description="askreport in the browser")
    ap.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
                    help="address to listen on (default 127.0.0.1, or $GRADIO_SERVER_NAME)")
    ap.add_argument("--port", type=int, default=int(os.environ["GRADIO_SERVER_PORT"])
                    if os.environ.get("GRADIO_SERVER_PORT", "").isdigit() else 7860,
                    help="port (default 7860, or $GRADIO_SERVER_PORT)")
    ap.add_argument("--index-dir", help="index folder (default ./data/index, or $ASKREPORT_INDEX_DIR)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="askreport: %(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from search.errors import user_errors
    try:
        app = load_app(config.index_dir(args.index_dir))
    except user_errors() as e:
        print(f"askreport: {e}", file=sys.stderr)
        return 1
    demo = build_demo(app)
    css = (ASSETS / "style.css").read_text(encoding="utf-8")
    head = f"<script>{(ASSETS / 'app.js').read_text(encoding='utf-8')}</script>"
    try:
        _, local_url, _ = demo.launch(
            server_name=args.host, server_port=args.port, share=False, show_error=False, inbrowser=False,
            prevent_thread_lock=True, quiet=True, theme=pages.theme(), css=css, head=head, footer_links=["api"],
            run_history=False, enable_monitoring=False, mcp_server=False, ssr_mode=False, pwa=False,
            max_file_size="1mb", favicon_path=None)
    except OSError as e:
        print(f"askreport: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    print(f"askreport is running at {local_url}  (Ctrl+C to stop)", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
