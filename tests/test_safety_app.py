"""Nothing lost, nothing leaked: the query side and the app (cases 18-25 of the issue; 22, crafted index files,
is in tests/test_safety_index.py).

In-process tests call app.App's handlers over the session's real searcher; the rest use the session app
(tests/conftest.py) and one spare app of this module's own, started with a small queue
(ASKREPORT_QUEUE_MAX), the default address, an audit hook that logs every socket it opens, and its own copy
of the index so that the index can be rebuilt under it. Load figures go to test-artifacts/load.json.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import APP_ENV, CORPUS, free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
LEAKS = ("Traceback", "/work/", str(ROOT), '.py"', 'File "')
TOPICS = ["weight checks", "fathers", "teenage parents", "pre-birth assessment", "domestic abuse",
          "drug misuse", "housing", "suicide", "house fire", "hospital discharge"]
FORMS = ["{}", "what about {}", "lessons on {}", "{} in serious case reviews", "practice implications of {}"]


def call(url: str, data: list, api: str = "search", timeout: float = 120) -> tuple[str, object, str]:
    """The API without gradio_client (which cannot send a lone surrogate): POST the inputs to
    /gradio_api/call/<api> and read its event stream. Returns (event, payload, the raw JSON text)."""
    body = json.dumps({"data": data}).encode("ascii")          # a lone surrogate travels as \\ud800
    request = urllib.request.Request(f"{url}gradio_api/call/{api}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        event_id = json.load(r)["event_id"]
    return result(url, api, event_id, timeout)


def result(url: str, api: str, event_id: str, timeout: float = 120) -> tuple[str, object, str]:
    with urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event_id}", timeout=timeout) as r:
        stream = r.read().decode("utf-8")                        # strict: invalid UTF-8 fails here
    event = raw = None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: "):
            raw = line[len("data: "):]
    return event, json.loads(raw), raw


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


# -- in-process: the handlers over the session's searcher --------------------------------------------------
@pytest.fixture(scope="module")
def app_obj(real_searcher):
    import app
    return app.App(real_searcher)


@pytest.fixture
def encodes(monkeypatch):
    """Every query the model is asked to encode."""
    import search.searcher
    from search.searcher import Searcher
    calls = []
    real_encode, real_queries = Searcher.encode, search.searcher.encode_queries
    monkeypatch.setattr(Searcher, "encode", lambda self, q: calls.append(q) or real_encode(self, q))
    monkeypatch.setattr(search.searcher, "encode_queries", lambda model, texts: calls.append(texts) or
                        real_queries(model, texts))
    return calls


@pytest.mark.slow
def test_empty_query_is_friendly_and_calls_no_model(app_obj, encodes):
    import gradio as gr
    for blank in ("", "   ", "\n\t  ", None):
        page, state = app_obj.ui_search(blank, "all", "all")
        assert state is None and 'class="ar-message ar-info"' in page and "Type a question" in page
        assert "Paste a quote" in app_obj.ui_check(blank)
        for api in (app_obj.api_search, app_obj.api_check):
            with pytest.raises(gr.Error, match="the query is empty; type a question"):
                api(blank)
    assert encodes == []
    app_obj.ui_search("fathers", "all", "all")                     # the recorder does see a real query
    assert encodes


@pytest.mark.slow
def test_very_long_query_in_the_ui_is_cut_and_answered(app_obj):
    from search.searcher import MAX_QUERY_CHARS
    text = ("fathers and male partners " * 4000)[:100_000]
    page, out = app_obj.ui_search(text, "all", "all")
    assert out is not None and out["results"], page[:300]
    assert MAX_QUERY_CHARS - 30 < len(out["query"]) <= MAX_QUERY_CHARS
    assert "ar-results" in page and f"only its first {MAX_QUERY_CHARS:,} characters were used" in page
    assert "ar-check" in app_obj.ui_check(text)


@pytest.mark.slow
def test_lone_surrogate_and_nul_in_the_ui_are_answered(app_obj):
    for text in ("\ud800 fathers", "fathers \udfff\x00 housing", "\x00"):
        page, out = app_obj.ui_search(text, "all", "all")
        assert out is not None and "ar-results" in page, page[:300]
        assert not re.search("[\ud800-\udfff]", out["query"])
        json.dumps(out, ensure_ascii=False).encode("utf-8")     # encodable: no lone surrogate left
        assert "ar-check" in app_obj.ui_check(text)


@pytest.mark.slow
def test_ui_errors_show_no_traceback_or_path(app_obj, monkeypatch):
    from search.searcher import Searcher

    def broken(*args, **kwargs):
        raise RuntimeError(f"boom in {ROOT}/index/search.py line 1")
    monkeypatch.setattr(Searcher, "search", broken)
    monkeypatch.setattr(Searcher, "score", broken)
    pages = [app_obj.ui_search("fathers", "all", "all")[0], app_obj.ui_check("fathers"),
             app_obj.ui_search("fathers", "no-such-part", "all")[0]]
    assert "Something went wrong" in pages[0] and "Something went wrong" in pages[1]
    for page in pages:
        assert not any(leak in page for leak in LEAKS), page


# -- the session app: API --------------------------------------------------------------------------------
@pytest.mark.slow
def test_empty_query_through_the_api_is_a_clear_error(client, app_url):
    from gradio_client.exceptions import AppError
    for api in ("/search", "/check"):
        with pytest.raises(AppError, match="the query is empty; type a question"):
            client.predict("   ", api_name=api)
    event, payload, _ = call(app_url, ["   ", 10, "all", "all"])
    assert event == "error" and "the query is empty" in payload["error"]


@pytest.mark.slow
def test_megabyte_query_through_the_api_is_cut_and_the_server_stays_up(client):
    from search.searcher import MAX_QUERY_CHARS
    huge = ("fathers " * (1 << 17))[:1 << 20]                       # 1 MB
    out = client.predict(huge, api_name="/search")
    assert MAX_QUERY_CHARS - 10 < len(out["query"]) <= MAX_QUERY_CHARS and out["results"]
    assert client.predict(huge, api_name="/check")["matches"]
    after = client.predict("when should a pre-birth assessment be started", api_name="/search")
    assert after["query"] == "when should a pre-birth assessment be started" and after["results"]


ODD = ["\x00", "fathers\x00housing", "\ud800", "fathers \udfff and mothers", "🎉 fathers 👨‍👩‍👧 🏳️‍🌈",
       "مرحبا الآباء والأمهات", "\u202efathers\u202c \u200f", "\ufeff\u200b\u200d", "e\u0301\u0301\u0301 ﷽",
       "𝔣𝔞𝔱𝔥𝔢𝔯𝔰 ＦＡＴＨＥＲＳ"]


@pytest.mark.slow
def test_odd_unicode_through_the_api_gives_valid_json(app_url):
    for text in ODD:
        for api, data in (("search", [text, 3, "all", "all"]), ("check", [text])):
            event, payload, raw = call(app_url, data, api)
            assert event == "complete", (text, api, raw)
            out = payload[0]
            assert isinstance(out, dict) and isinstance(out["query"], str)
            json.dumps(payload, ensure_ascii=False).encode("utf-8")       # strict UTF-8: no lone surrogate
            if "\ud800" not in text and "\udfff" not in text:
                assert out["query"] == " ".join(text.split())
            else:
                assert "\ufffd" in out["query"]


@pytest.mark.slow
def test_api_errors_show_no_traceback_or_path(app_url):
    cases = [(["fathers", 10, "no-such-part", "all"], "search", "unknown part"),
             (["fathers", "ten", "all", "all"], "search", "Something went wrong"),
             ([["not", "text"]], "check", "Something went wrong")]
    for data, api, message in cases:
        event, payload, raw = call(app_url, data, api)
        assert event == "error" and isinstance(payload["error"], str) and message in payload["error"], raw
        assert not any(leak in raw for leak in LEAKS), raw


# -- the session app: files --------------------------------------------------------------------------------
def private_paths(index_dir: Path) -> list[Path]:
    from index.models import get_preset
    model = get_preset("fast").locate()
    return [Path("/etc/passwd"), CORPUS / "ages-of-concern.txt", ROOT / "cli.py", ROOT / "app.py",
            ROOT / "index" / "search.py", ROOT / "app_assets" / "app.js", index_dir, index_dir / "CURRENT",
            model, model / "config.json", model / "model.safetensors"]


@pytest.mark.slow
def test_file_routes_serve_no_private_file(app_url, real_index, spare):     # (`spare` starts loading meanwhile)
    targets = private_paths(real_index)
    requests = []
    for path in targets:
        text, enc = str(path), quote(str(path), safe="")
        requests += [f"file={text}", f"gradio_api/file={text}", f"gradio_api/file={enc}", f"gradio_api/file%3D{enc}",
                     f"GRADIO_API/FILE={text}", f"gradio_api/FILE={text}", f"gradio_api/file={text.upper()}",
                     f"gradio_api/file=/tmp/../{text}", f"gradio_api/file=/tmp/..%2F..{enc}"]
    for rel in ("../../etc/passwd", "../" * 12 + "etc/passwd", "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "corpus/ages-of-concern.txt", "cli.py", "app_assets/../cli.py",
                "data/index/CURRENT", "..%5c..%5cetc%5cpasswd"):
        requests += [f"file={rel}", f"gradio_api/file={rel}", f"static/{rel}", f"assets/{rel}",
                     f"gradio_api/static/{rel}", f"gradio_api/assets/{rel}"]
    secrets = [p.read_bytes()[:64] for p in targets if p.is_file()] + [b"root:x:0:0"]
    for path in requests:
        status, body = get(app_url + path)
        assert status in (403, 404), (path, status, body[:100])
        assert not any(s in body for s in secrets), path


# -- load --------------------------------------------------------------------------------------------------
def in_browser(fn, *args) -> Future:
    """fn(browser, *args) in a thread with a Chromium of its own: tests/test_browser.py's session browser
    holds the main thread's sync Playwright, and a second one cannot start beside it in the same thread."""
    from conftest import ARGS, CHROMIUM
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")

    def run():
        from playwright.sync_api import sync_playwright
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                return fn(browser, *args)
            finally:
                browser.close()
    pool = ThreadPoolExecutor(1)
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


BROWSER_TOPICS = ["co-sleeping", "hospital discharge", "police and domestic abuse", "health visitors",
                  "children looked after", "young carers"]


def two_sessions(browser, app_url, ready: threading.Event, go: threading.Event) -> dict:
    """Two pages searching at the same moment, round after round; each must show its own query."""
    from test_browser import QUERY, open_page
    pages = [open_page(browser, app_url) for _ in range(2)]
    ready.set()
    go.wait(120)
    times, shown = [], []
    for topic in BROWSER_TOPICS:
        queries = [f"{topic} (session {n})" for n in (1, 2)]
        started = time.perf_counter()
        for pg, q in zip(pages, queries):
            pg.locator(QUERY).first.fill(q)
            pg.locator(QUERY).first.press("Enter")
        for pg, q in zip(pages, queries):
            try:
                pg.wait_for_function("q => document.querySelector('#results .ar-results')?.dataset.query === q",
                                     arg=q, timeout=30_000)
            finally:
                shown.append((q, pg.locator("#results .ar-results").get_attribute("data-query"),
                              pg.locator("#results .results-meta .q").inner_text()))
        times.append((time.perf_counter() - started) * 1000)
    outside = [u for pg in pages for u in pg.outside]
    for pg in pages:
        pg.context.close()
    return {"times": times, "shown": shown, "outside": outside}


@pytest.mark.slow
@pytest.mark.browser
def test_load_every_answer_belongs_to_its_query(client, app_url):
    """50 searches at once, half through gradio_client (one shared event stream), half as plain HTTP, while two
    browser sessions search; latency under that load goes to test-artifacts/load.json (not asserted)."""
    queries = [f.format(t) + " today" for t in TOPICS for f in FORMS]
    assert len(set(queries)) == 50
    ready, go = threading.Event(), threading.Event()
    browsers = in_browser(two_sessions, app_url, ready, go)
    assert ready.wait(120) or browsers.result()

    def one(n_q):
        n, q = n_q
        started = time.perf_counter()
        if n % 2:
            out = client.predict(q, k=5, api_name="/search")
        else:
            event, payload, raw = call(app_url, [q, 5, "all", "all"])
            out = payload[0] if event == "complete" else {"error": raw}
        return n % 2, q, out, (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    go.set()
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(one, enumerate(queries)))
    api_seconds = time.perf_counter() - started
    sessions = browsers.result(timeout=300)

    for _, q, out, _ in answers:
        assert out.get("query") == q and out["results"], out
    for sent, query_attr, text in sessions["shown"]:
        assert query_attr == sent and text == sent
    assert not sessions["outside"]

    def spread(ms: list[float]) -> dict:
        return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 0.95), 1),
                "max_ms": round(max(ms), 1)}
    figures = {"api": spread([ms for *_, ms in answers]),
               "api_gradio_client": spread([ms for via, *_, ms in answers if via]),
               "api_http": spread([ms for via, *_, ms in answers if not via]),
               "api_wall_s": round(api_seconds, 2),
               "browser_two_sessions_per_round": spread(sessions["times"]), "cpus": os.cpu_count()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=1))
    print("\nunder load (50 API searches + 2 browser sessions): " + "; ".join(
        f"{name} p50 {f['p50_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms" for name, f in figures.items()
        if isinstance(f, dict)))


# -- markup in the check tab (the Ask tab's payloads are in tests/test_browser.py) --------------------------
QUOTE = ("The GP had had access to the discharge weight when the baby left hospital and also the weight when the "
         "staff from the neo-natal unit later stopped carrying out home visits. The Local Safeguarding Children "
         "Board stated: ‘If the weight had been plotted, notwithstanding any other information that might have "
         "been available about the case, it would have shown the falling off in the rate of weight increase")
INSERTS = ["x<script>window.__xss=6</script>x", "x<a/href=javascript:void(window.__xss=7)>here</a>x",
           "x<img/src=x/onerror=window.__xss=8>x"]


def check_markup(browser, app_url) -> dict:
    from test_browser import QUERY, open_page
    pg = open_page(browser, app_url)
    seen = []
    for insert in INSERTS:                    # each inside a near-verbatim quote, so the check repeats it
        words = QUOTE.split()
        text = " ".join(words[:20] + [insert] + words[20:])
        pg.locator("#tab-check-button").click()
        pg.evaluate("() => document.querySelector('#check-result .ar-check')?.remove()")
        pg.locator("#check-text textarea").fill(text)
        pg.locator("#check-btn").click()
        pg.wait_for_selector("#check-result .ar-check")
        for link in pg.locator("#check-result .differences a, #check-result .differences ins").all():
            link.click()                       # where a live link would be
        seen.append({"insert": insert, "verdict": pg.locator("#check-result .ar-check").get_attribute("data-verdict"),
                     "differences": pg.locator("#check-result .differences").inner_text(),
                     "elements": pg.locator("#check-result script, #check-result img, "
                                            "#check-result a[href^='javascript']").count(),
                     "flag": pg.evaluate("typeof window.__xss")})
    pg.locator("#tab-ask-button").click()                            # 100,000 characters typed in the page
    pg.locator(QUERY).first.fill("fathers " * 12_500)
    pg.locator(QUERY).first.press("Enter")
    pg.wait_for_selector("#results .ar-results .notice")
    notice = pg.locator("#results .ar-results .notice").inner_text()
    cards = pg.locator("#results .card").count()
    outside = pg.outside
    pg.context.close()
    return {"checks": seen, "notice": notice, "cards": cards, "outside": outside}


@pytest.mark.slow
@pytest.mark.browser
def test_markup_in_the_check_tab_is_shown_not_run(app_url):
    seen = in_browser(check_markup, app_url).result(timeout=180)
    for s in seen["checks"]:
        assert s["verdict"] == "near-verbatim", s
        assert s["insert"] in s["differences"], s                   # shown as text, whole
        assert s["elements"] == 0 and s["flag"] == "undefined", s
    assert "only its first 2,000 characters were used" in seen["notice"] and seen["cards"] > 0
    assert not seen["outside"]


# -- a spare app: default address, audit hook, small queue, an index of its own ----------------------------
NET_AUDIT = '''"""Logs each socket connect, bind and name lookup of this process, one JSON line each."""
import json, os, sys

_LOG = os.environ["ASKREPORT_NET_LOG"]


def _audit(event, args):
    if event not in ("socket.connect", "socket.bind", "socket.getaddrinfo"):
        return
    address = args[:2] if event == "socket.getaddrinfo" else args[1]
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": event, "host": host if host is None else str(host)}) + "\\n")


sys.addaudithook(_audit)
'''


def is_local(host: str | None) -> bool:
    if not host or host == "localhost" or host.startswith(("/", "\0")):    # unbound, loopback name, AF_UNIX
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False                                                      # a name to look up elsewhere


@pytest.fixture(scope="module")
def spare(real_index, tmp_path_factory):
    """Starts a second app and returns at once: default address (no --host, no GRADIO_SERVER_NAME), a queue
    of 2 (ASKREPORT_QUEUE_MAX), a copy of the index, and an audit hook logging its sockets."""
    tmp = tmp_path_factory.mktemp("spare")
    index_dir = tmp / "index"
    shutil.copytree(real_index, index_dir)
    (tmp / "hook").mkdir()
    (tmp / "hook" / "netaudit.py").write_text(NET_AUDIT, encoding="utf-8")
    port, log, net = free_port(), tmp / "app.log", tmp / "net.jsonl"
    net.touch()
    env = {**os.environ, **APP_ENV, "ASKREPORT_INDEX_DIR": str(index_dir), "ASKREPORT_QUEUE_MAX": "2",
           "ASKREPORT_NET_LOG": str(net), "PYTHONPATH": str(tmp / "hook")}
    env.pop("GRADIO_SERVER_NAME", None)
    env.pop("GRADIO_SERVER_PORT", None)
    code = "import netaudit, runpy; runpy.run_path('app.py', run_name='__main__')"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    info = {"url": f"http://127.0.0.1:{port}/", "port": port, "log": log, "net": net, "index": index_dir,
            "proc": proc, "hook": tmp / "hook", "env": env}
    try:
        yield info
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def spare_url(spare) -> str:
    wait_until_up(spare["proc"], spare["url"], spare["log"])
    return spare["url"]


@pytest.mark.slow
def test_queue_limit_gives_a_clean_queue_full(spare_url):
    queries = [f"{t} and the {n} agencies involved" for n in ("many", "few", "local", "health", "police", "other")
               for t in TOPICS]

    def post(q, barrier):
        barrier.wait(30)
        body = json.dumps({"data": [q, 10, "all", "all"]}).encode()
        request = urllib.request.Request(f"{spare_url}gradio_api/call/search", body,
                                         {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return q, r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return q, e.code, json.loads(e.read() or b"null")
    for _ in range(3):                                   # a flood that the 2 places in the queue cannot hold
        barrier = threading.Barrier(len(queries))
        with ThreadPoolExecutor(len(queries)) as pool:
            replies = list(pool.map(lambda q: post(q, barrier), queries))
        accepted = [(q, body["event_id"]) for q, status, body in replies if status == 200]
        answers = [(q, result(spare_url, "search", event_id)) for q, event_id in accepted]
        if len(accepted) < len(queries):
            break
    refused = [body for _, status, body in replies if status != 200]
    assert refused, "no request was refused: is ASKREPORT_QUEUE_MAX read?"
    assert all(status in (200, 503) for _, status, _ in replies)
    assert all(re.match(r"Queue is full\. Max size is 2\b", body["detail"]) for body in refused), refused[:3]
    for q, (event, payload, raw) in answers:
        assert event == "complete" and payload[0]["query"] == q, raw[:200]
    assert call(spare_url, ["fathers", 3, "all", "all"])[0] == "complete"   # still up


@pytest.mark.slow
def test_rebuilding_the_served_index_breaks_no_query(spare, spare_url):
    from index.build import build
    index_dir = spare["index"]
    before = json.loads((index_dir / "CURRENT").read_text())["generation"]
    done, errors = threading.Event(), []

    def rebuild():
        try:
            build(CORPUS, index_dir, progress=False)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            done.set()
    thread = threading.Thread(target=rebuild)
    thread.start()
    queries = [f.format(t) for t in TOPICS for f in FORMS]
    answers = []
    while not done.is_set() or len(answers) < 3:              # one after another: the spare queue holds 2
        q = queries[len(answers) % len(queries)]
        answers.append((q, call(spare_url, [q], "check") if len(answers) % 4 == 3 else
                        call(spare_url, [q, 3, "all", "all"])))
    thread.join()
    print(f"\n{len(answers)} queries answered while the served index was rebuilt")
    assert not errors, errors
    after = json.loads((index_dir / "CURRENT").read_text())["generation"]
    assert after != before and not (index_dir / "generations" / before).exists()   # switched; the old one gone
    answers += [(q, call(spare_url, [q, 3, "all", "all"])) for q in queries[:3]]   # and after the switch
    for q, (event, payload, raw) in answers:
        assert event == "complete" and payload[0]["query"] == q, raw[:200]
        assert payload[0].get("results") or payload[0].get("matches"), raw[:200]


def other_addresses() -> list[str]:
    """This machine's own non-loopback IPv4 addresses."""
    found = set()
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
        found |= {lines[i - 1].split()[-1] for i, line in enumerate(lines) if "/32 host LOCAL" in line}
    except OSError:
        pass
    try:
        found |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return sorted(a for a in found if not ipaddress.ip_address(a).is_loopback)


@pytest.mark.slow
def test_no_outbound_network_and_loopback_only_by_default(spare, spare_url):
    port = spare["port"]
    code = ("import json, sys, netaudit; from gradio_client import Client; c = Client(sys.argv[1], verbose=False); "
            "print(json.dumps(c.predict('fathers in assessments', k=3, api_name='/search')['query']))")
    client_net = spare["net"].with_name("client-net.jsonl")
    done = subprocess.run([sys.executable, "-c", code, spare_url], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**spare["env"], "ASKREPORT_NET_LOG": str(client_net)})
    assert done.returncode == 0 and json.loads(done.stdout.splitlines()[-1]) == "fathers in assessments", done.stderr

    for name, log in (("app", spare["net"]), ("client", client_net)):
        events = [json.loads(line) for line in log.read_text().splitlines()]
        assert any(e["event"] == "socket.connect" for e in events) or name == "app", f"{name}: the hook saw nothing"
        outside = [e for e in events if e["event"] != "socket.bind" and not is_local(e["host"])]
        assert not outside, f"{name} reached beyond this machine: {outside[:5]}"
    app_events = [json.loads(line) for line in spare["net"].read_text().splitlines()]
    binds = [e["host"] for e in app_events if e["event"] == "socket.bind"]
    assert binds and all(ipaddress.ip_address(h).is_loopback for h in binds), binds

    assert f"running at http://127.0.0.1:{port}/" in spare["log"].read_text()
    for address in other_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=3).close()


@pytest.mark.slow
def test_no_share_link_no_flagging_no_analytics(app_url, app_server, spare, spare_url):
    for url, log in ((app_url, app_server["log"]), (spare_url, spare["log"])):
        status, body = get(url + "config")
        config = json.loads(body)
        assert status == 200 and config["analytics_enabled"] is False and config["show_error"] is False
        assert not any("share" in key.lower() or "flag" in key.lower() for key in config), sorted(config)
        assert config.get("space_id") is None and not config.get("is_colab")
        assert config["root"].startswith("http://127.0.0.1:")
        names = {d.get("api_name") for d in config["dependencies"] if d.get("api_visibility", "public") == "public"}
        assert names <= {"search", "search_library", "check"}, names
        status, body = get(url + "gradio_api/info")
        assert status == 200 and set(json.loads(body)["named_endpoints"]) == {"/search", "/search_library", "/check"}
        assert not re.search(r"gradio\.live|public link|share=True", log.read_text())
