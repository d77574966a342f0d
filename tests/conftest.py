import functools
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import config  # noqa: I001  (first: the offline environment and BLAS threads, before numpy loads)

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "ages-of-concern.txt"


# -- the fake embedder: the one stand-in for the real model in every test not marked slow ------------
FAKE_DIM = 384
FAKE_MODEL_ID = "fake/hash-embedder"
FAKE_FINGERPRINT = "fake-hash-embedder-0001"
_FAKE_WORD = re.compile(r"\w+")
_FAKE_STOP = frozenset("a an and are as at be by for from had has have in is it of on or that the their "
                       "there they this to was were what when where which who why with".split())


def _seeded_unit(key: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dim)
    return v / np.sqrt((v * v).sum())


@functools.lru_cache(maxsize=65536)
def _word_direction(word: str, dim: int) -> np.ndarray:
    return _seeded_unit("word:" + word, dim)


def fake_vector(text: str, dim: int = FAKE_DIM) -> np.ndarray:
    """A hashed bag of words: each lower-cased word (common function words aside) is a fixed random
    direction; a text is the sum of its words' directions, L2-normalised. Texts that share words
    are close (the cosine grows with the share of shared words), unrelated texts near 0, the same
    text always the same vector. A text with no word gets a direction of its own. No BLAS: safe
    in a forked child."""
    words = [w.lower() for w in _FAKE_WORD.findall(text)]
    words = [w for w in words if w not in _FAKE_STOP] or words
    if not words:
        return _seeded_unit("text:" + text, dim).astype(np.float32)
    v = np.zeros(dim)
    for w in words:
        v += _word_direction(w, dim)
    return (v / np.sqrt((v * v).sum())).astype(np.float32)


class FakeEmbedder:
    """Stands in for index.models: load_model -> (model, ModelInfo), encode_passages, encode_queries,
    count_tokens (word pieces = words), with the same signatures. It is its own "model". Records
    what it was asked to encode (`calls`: passage batches, `queries`: query batches)."""

    def __init__(self, dim: int = FAKE_DIM, fingerprint: str = FAKE_FINGERPRINT, max_seq_length: int = 256):
        from index.models import ModelInfo
        self.info = ModelInfo("fast", FAKE_MODEL_ID, Path("/nonexistent/fake-model"), dim, max_seq_length,
                              fingerprint)
        self.calls: list[list[str]] = []
        self.queries: list[list[str]] = []

    def load_model(self, preset_name: str = "fast", path=None):
        return self, self.info

    def _encode(self, texts) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.info.dimension), dtype=np.float32)
        return np.stack([fake_vector(t, self.info.dimension) for t in texts])

    def encode_passages(self, model, texts, show_progress: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        return self._encode(texts)

    def encode_queries(self, model, texts) -> np.ndarray:
        self.queries.append(list(texts))
        return self._encode(texts)

    @staticmethod
    def count_tokens(model, text: str) -> int:
        return len(text.split())

    @property
    def encoded(self) -> int:
        """Passage texts embedded so far."""
        return sum(len(c) for c in self.calls)

    def install(self, monkeypatch=None) -> "FakeEmbedder":
        """Put it where index.build and search.searcher look for the model's functions (with
        monkeypatch in a test, plainly in a child process)."""
        import index.build
        import search.searcher
        patch = monkeypatch.setattr if monkeypatch else setattr
        for module, names in ((index.build, ("load_model", "encode_passages", "count_tokens")),
                              (search.searcher, ("load_model", "encode_queries"))):
            for name in names:
                patch(module, name, getattr(self, name))
        return self


@pytest.fixture
def fake_embedder(monkeypatch) -> FakeEmbedder:
    """A FakeEmbedder installed for this test: build and Searcher.open use it, not the real model."""
    return FakeEmbedder().install(monkeypatch)


# -- the guard: a test not marked slow never loads the real model ---------------------------------
MODEL_FIXTURES = {"real_index", "real_searcher", "app_server", "app_url", "client"}


@pytest.hookimpl(tryfirst=True)        # before -m "not slow" deselects
def pytest_collection_modifyitems(config, items):
    """A test that uses a fixture which loads the real model is slow, marked so or not: it is marked
    here (with a warning naming it), so `-m "not slow"` never sets such a fixture up (session
    fixtures are set up before the guard below could stop them)."""
    for item in items:
        uses = MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
            item.warn(pytest.PytestWarning(f"uses {', '.join(sorted(uses))}, which load the real model, but is "
                                           "not marked slow; marked slow now (or use fake_embedder)"))


class RealModelLoaded(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_real_model_unless_slow(request, monkeypatch):
    """In a test not marked slow, `sentence_transformers` is a stub whose model refuses to load, so
    index.models.load_model fails loudly instead of loading all-MiniLM-L6-v2 (use fake_embedder)."""
    if request.node.get_closest_marker("slow"):
        return

    def refuse(*args, **kwargs):
        raise RealModelLoaded(f"{request.node.nodeid} is not marked slow but loads the real model; "
                              "use the fake_embedder fixture (tests/conftest.py) or mark it slow")
    stub = types.ModuleType("sentence_transformers")
    stub.SentenceTransformer = refuse
    monkeypatch.setitem(sys.modules, "sentence_transformers", stub)


# -- tiny corpora -----------------------------------------------------------------------------------
def write_corpus(root: Path, docs: dict[str, str | bytes], entries: list[dict] | None = None) -> Path:
    """Files (str written as UTF-8, bytes as they are) and a catalog.toml; one entry per file by default
    (id = the file's stem, title "<id> report", short_title = id, publisher "Test", year 2020)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in docs.items():
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    lines = []
    for entry in entries if entries is not None else [{"id": Path(n).stem, "file": n} for n in docs]:
        entry = {"title": f"{entry['id']} report", "short_title": entry["id"], "publisher": "Test",
                 "year": 2020, "licence": "test", **entry}
        lines += ["[[documents]]", *(f"{k} = {json.dumps(v)}" for k, v in entry.items()), ""]
    (root / "catalog.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


SMALL_REPORT = """Small report

Background

Health visitors weigh every baby at the eight week check. The weight is plotted on a growth chart. Missed appointments were common in the winter.

Fathers were rarely seen by agencies. Their histories were not checked before the birth.

Grades

Table 1: Grades of serious case reviews by area.
\tArea
\tGrade
\tPublished

\tNorthtown
\tInadequate
\tYes

\tSouthtown
\tGood
\tYes

\tEastvale
\tInadequate
\tYes

\tWestvale
\tGood
\tYes

\tMidshire
\tInadequate
\tYes
"""
SMALL_ENTRY = {"id": "small", "file": "small.txt", "title": "A small report", "short_title": "Small report"}


@pytest.fixture(scope="session")
def small_index(tmp_path_factory) -> Path:
    """SMALL_REPORT (two paragraphs under a heading, a five-row table) indexed with the fake embedder."""
    from index.build import build
    root = tmp_path_factory.mktemp("small")
    corpus = write_corpus(root / "corpus", {"small.txt": SMALL_REPORT}, [SMALL_ENTRY])
    with pytest.MonkeyPatch.context() as mp:
        FakeEmbedder().install(mp)
        build(corpus, root / "index", progress=False)
    return root / "index"


@pytest.fixture
def small_searcher(small_index, fake_embedder):
    """A Searcher over `small_index`, querying with the fake embedder."""
    from search.searcher import Searcher
    return Searcher.open(small_index)


# -- the real report ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def report_text() -> str:
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def passages():
    from ingest.pipeline import ingest_corpus
    return ingest_corpus(CORPUS).passages


@pytest.fixture(scope="session")
def by_id(passages):
    return {p.passage_id: p for p in passages}


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    """The real report indexed once per session with the real model (under a minute on 2 cores)."""
    from index.build import build
    path = tmp_path_factory.mktemp("index")
    build(CORPUS, path, progress=False)
    return path


@pytest.fixture(scope="session")
def real_searcher(real_index):
    from search.searcher import Searcher
    return Searcher.open(real_index)


# -- one app subprocess for the session (tests/test_app.py, tests/test_browser.py) -------------------
# The apps under test answer without the local judge (seconds per search); tests/test_judge.py turns it on.
APP_ENV = {**config.OFFLINE, "ASKREPORT_JUDGE": "off"}
os.environ["ASKREPORT_JUDGE"] = "off"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(index_dir: Path, log: Path) -> dict:
    """`python app.py --port N` on index_dir, logging to `log`; returns at once (see wait_until_up)."""
    port = free_port()
    env = {**os.environ, **APP_ENV, "ASKREPORT_INDEX_DIR": str(index_dir), "GRADIO_SERVER_NAME": "127.0.0.1"}
    env.pop("GRADIO_SERVER_PORT", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    return {"url": f"http://127.0.0.1:{port}/", "port": port, "log": log, "proc": proc}


@pytest.fixture(scope="session")
def app_server(real_index, tmp_path_factory):
    """The app on the real report's index; `app_url` waits until it answers."""
    app = start_app(real_index, tmp_path_factory.mktemp("app") / "app.log")
    try:
        yield app
    finally:
        stop(app["proc"])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_until_up(proc: subprocess.Popen, url: str, log: Path, limit: float = 240) -> None:
    """Until the app at `url` answers; fails with the end of its log if it exits or takes too long."""
    deadline = time.monotonic() + limit
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the app exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"the app did not answer within {limit:.0f}s:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "config", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    wait_until_up(app_server["proc"], app_server["url"], app_server["log"])
    return app_server["url"]


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


# -- one headless Chromium for the session: Playwright's sync API allows one running instance ------------
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
