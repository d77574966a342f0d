import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import config

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "ages-of-concern.txt"


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
APP_ENV = config.OFFLINE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(real_index, tmp_path_factory):
    """Starts the app (python app.py --port N) and returns at once; `app_url` waits until it answers."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, **APP_ENV, "ASKREPORT_INDEX_DIR": str(real_index), "GRADIO_SERVER_NAME": "127.0.0.1"}
    env.pop("GRADIO_SERVER_PORT", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        yield {"url": f"http://127.0.0.1:{port}/", "port": port, "log": log, "proc": proc}
    finally:
        stop(proc)


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
