"""askreport in the browser: ask the documents, check a quote, read them.

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR]

Address and port also come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT; the default address is
127.0.0.1. The model and index load once at start (the index is built first if there is none).
Works with no network: no share link, no analytics, no fonts or scripts from elsewhere.

API (gradio_client): `/search` (query, k=10, part="all", kind="all") and `/check` (text) return
the same JSON as `askreport search --json` / `askreport check --json`. A query longer than
search.MAX_QUERY_CHARS characters is cut to that length and answered, not refused. At most
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
import time
from functools import partial
from pathlib import Path

import gradio as gr

from ingest.passage import slug
from present import cards, checkview, exports, pages
from present.reader import Report
from search import MAX_QUERY_CHARS, QueryError, Searcher, open_or_build
from search.results import CheckResult

ASSETS = config.ROOT / "present" / "assets"
log = logging.getLogger("askreport.app")

KIND_CHOICES = [("All kinds", "all"), ("Findings", "findings"), ("Practice implications", "practice"),
                ("Case studies", "case-studies"), ("Tables", "tables")]
KIND_GROUPS = {"findings": {"paragraph", "list", "quote"}, "practice": {"practice-implications"},
               "case-studies": {"case-study"}, "tables": {"table", "table-row"}}
FRIENDLY_ERROR = "Something went wrong while searching. Please try again, or try different words."


def cut(text: str) -> tuple[str, str | None]:
    """The text with whitespace tidied and cut to MAX_QUERY_CHARS, and a note when it was cut."""
    text = " ".join((text or "").split())
    if len(text) > MAX_QUERY_CHARS:
        note = f"Your text was {len(text):,} characters long; only its first {MAX_QUERY_CHARS:,} characters were used."
        return text[:MAX_QUERY_CHARS].rstrip(), note
    return text, None


def part_of(value: str | None) -> str | None:
    value = (value or "all").strip()
    if value in ("", "all", "everything"):
        return None
    return value


def kinds_of(value: str | list | None) -> set[str] | None:
    """'all', a group (findings, practice, case-studies, tables), a passage kind, or several, comma-separated."""
    items = value if isinstance(value, list) else str(value or "all").split(",")
    kinds: set[str] = set()
    for item in (i.strip() for i in items):
        if item in ("", "all"):
            return None
        kinds |= KIND_GROUPS.get(item, {item})
    return kinds or None


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
        self.reader_html = self.report.reader()
        self.tmp = Path(tempfile.mkdtemp(prefix="askreport-app-"))
        atexit.register(shutil.rmtree, self.tmp, True)
        self._check = None
        self.stamps = itertools.count(1)

    # -- the code the CLI uses -------------------------------------------------------------------
    def search(self, query: str, k: int = 10, part: str | None = "all", kind: str | list | None = "all"):
        text, note = cut(query)
        out = self.searcher.search(text, k=max(1, min(int(k), 50)), kinds=kinds_of(kind), part=part_of(part))
        return out, note

    def check_fn(self):
        if self._check is None:
            try:
                from check.checker import check
                self._check = check
            except ImportError:
                return None
        return self._check

    def check(self, text: str) -> tuple[CheckResult, str | None]:
        text, note = cut(text)
        fn = self.check_fn()
        if fn is not None:
            return fn(self.searcher, text), note
        out = self.searcher.search(text, k=3)   # quote checking not installed: the closest passages
        fallback = "Quote checking is not available in this version; these are the closest passages."
        return CheckResult(out.query, None, None, "", out.results), " ".join(x for x in (note, fallback) if x)

    # -- API -------------------------------------------------------------------------------------
    def api_search(self, query: str, k: int = 10, part: str = "all", kind: str = "all") -> dict:
        """Search the documents: the same JSON as `askreport search --json`. part: all, or one of the parts the
        documents' outlines name (the Part filter's choices). kind: all, findings, practice, case-studies, tables,
        or passage kinds separated by commas. A query longer than MAX_QUERY_CHARS characters is cut to that
        length, not refused."""
        try:
            return self.search(query, k, part, kind)[0].to_json()
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
    def ui_search(self, query: str, part: str, kind: str):
        """The results as HTML, and the search as its JSON (kept in the page's state for the downloads)."""
        if not (query or "").strip():
            return pages.message("Type a question, then press Enter.", "info"), None
        try:
            out, note = self.search(query, 10, part, kind)
        except QueryError as e:
            return pages.message(f"That search could not be run: {e}.", "warn"), None
        except Exception:  # never a traceback in the page
            log.exception("search failed")
            return pages.message(FRIENDLY_ERROR, "error"), None
        labels = (dict((v, k) for k, v in self.part_choices).get(part) if part not in (None, "all") else None,
                  dict((v, k) for k, v in KIND_CHOICES).get(kind) if kind not in (None, "all") else None)
        share = {"q": out.query, "part": part if part != "all" else None, "kind": kind if kind != "all" else None}
        page = cards.search_html(self.report, out, part_label=labels[0], kind_label=labels[1], note=note,
                                 share=share, stamp=next(self.stamps))
        return page, out.to_json()

    def ui_example(self, question: str, part: str, kind: str):
        return (question, *self.ui_search(question, part, kind))

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

    def ui_check(self, text: str):
        if not (text or "").strip():
            return pages.message("Paste a quote or a claim, then press Check.", "info")
        try:
            out, note = self.check(text)
        except QueryError as e:
            return pages.message(f"That text could not be checked: {e}.", "warn")
        except Exception:
            log.exception("check failed")
            return pages.message("Something went wrong while checking. Please try again.", "error")
        return checkview.check_html(self.report, out, note=note)

    def ui_load(self, request: gr.Request):
        params = dict(request.query_params) if request is not None else {}
        query = (params.get("q") or "").strip()
        part = params.get("part") if params.get("part") in dict((v, k) for k, v in self.part_choices) else "all"
        kind = params.get("kind") if params.get("kind") in dict((v, k) for k, v in KIND_CHOICES) else "all"
        if not query:
            return gr.update(), gr.update(), gr.update(), gr.update(), None
        return (cut(query)[0], part, kind, *self.ui_search(query, part, kind))


# -- layout --------------------------------------------------------------------------------------------
UPDATE_URL = """(q, part, kind) => {
  try {
    const u = new URL(window.location.href);
    ["q", "part", "kind"].forEach((k) => u.searchParams.delete(k));
    if (q && q.trim()) u.searchParams.set("q", q.trim());
    if (part && part !== "all") u.searchParams.set("part", part);
    if (kind && kind !== "all") u.searchParams.set("kind", kind);
    window.history.replaceState(null, "", u.toString());
  } catch (e) {}
  return [];
}"""


def queue_max() -> int:
    value = os.environ.get("ASKREPORT_QUEUE_MAX", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 256


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
                with gr.Row(elem_id="filters", equal_height=True):
                    part = gr.Dropdown(app.part_choices, value="all", label=f"Part of {lib.noun}", elem_id="part",
                                       filterable=False, min_width=160, visible=len(app.part_choices) > 1)
                    kind = gr.Dropdown(KIND_CHOICES, value="all", label="Kind of text", elem_id="kind",
                                       filterable=False, min_width=160)
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
            with gr.Tab(f"Read {lib.noun}", id="read", elem_id="tab-read"):
                gr.HTML(app.reader_html, elem_id="reader", js_on_load=None, apply_default_css=False)

        searched = dict(fn=app.ui_search, inputs=[query, part, kind], outputs=[results, state],
                        show_progress="minimal", **private)
        for event in (query.submit(**searched), go.click(**searched), part.input(**searched),
                      kind.input(**searched)):
            event.then(app.ui_export, state, [csv_btn, md_btn], show_progress="hidden", **private) \
                 .then(None, [query, part, kind], None, js=UPDATE_URL, **private)
        for button, question in example_buttons:
            button.click(partial(app.ui_example, question), [part, kind], [query, results, state],
                         show_progress="minimal", **private) \
                  .then(app.ui_export, state, [csv_btn, md_btn], show_progress="hidden", **private) \
                  .then(None, [query, part, kind], None, js=UPDATE_URL, **private)
        checked = dict(fn=app.ui_check, inputs=check_text, outputs=check_out, show_progress="minimal", **private)
        check_go.click(**checked)
        check_text.submit(**checked)
        check_ex.click(lambda: app.check_example, None, check_text, queue=False, **private).then(**checked)
        demo.load(app.ui_load, None, [query, part, kind, results, state], **private) \
            .then(app.ui_export, state, [csv_btn, md_btn], show_progress="hidden", **private)

        gr.api(app.api_search, api_name="search")
        gr.api(app.api_check, api_name="check")
    demo.queue(default_concurrency_limit=4, max_size=queue_max())
    return demo


def theme() -> gr.themes.Base:
    system = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=system, font_mono=mono).set(
        button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700", button_primary_text_color="white")   # contrast >= 4.5


def load_app(index_dir: Path) -> App:
    started = time.perf_counter()
    print(f"askreport: loading the model and the index from {index_dir} …", file=sys.stderr, flush=True)
    searcher = open_or_build(config.corpus_dir(), index_dir)
    app = App(searcher)
    app.searcher.search("warm up the model")       # the first query pays for lazy initialisation
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
            prevent_thread_lock=True, quiet=True, theme=theme(), css=css, head=head, footer_links=["api"],
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
