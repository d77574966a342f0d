"""A second plain-text document, dropped into a corpus folder with a catalogue entry and no outline, is
searchable in the CLI and the app by its own title, with no code change.

The document is tests/data/declaration.txt (public domain; see tests/data/README.md). The corpus is a copy
of corpus/ plus that file; the index starts as a copy of the session's real index, so only the new
document is embedded.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import APP_ENV, ROOT, free_port, stop, wait_until_up

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parent / "data"
ENTRY = """
[[documents]]
id = "declaration"
title = "The unanimous Declaration of the thirteen united States of America"
short_title = "Declaration of Independence"
publisher = "Continental Congress"
year = 1776
file = "declaration.txt"
licence = "Public domain (United States Declaration of Independence, 1776)"
"""
CITED_AS = "Continental Congress (1776) Declaration of Independence"
QUESTION = "Why did the King dissolve the representative houses?"
RIGHTS = "What unalienable rights are all men endowed with by their Creator?"


@pytest.fixture(scope="module")
def second(real_index, tmp_path_factory) -> dict:
    """corpus/ plus the second document, ingested through the CLI into a copy of the real index."""
    import cli
    root = tmp_path_factory.mktemp("second")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copy(DATA / "declaration.txt", corpus / "declaration.txt")
    with open(corpus / "catalog.toml", "a", encoding="utf-8") as f:
        f.write(ENTRY)
    assert not list(corpus.glob("declaration*.toml"))          # no outline: the generic splitter
    index = root / "index"
    shutil.copytree(real_index, index)
    assert cli.main(["--corpus", str(corpus), "--index-dir", str(index), "ingest", "--quiet"]) == 0
    return {"corpus": corpus, "index": index}


def cli_search(second, capsys, *args) -> str:
    import cli
    capsys.readouterr()
    code = cli.main(["--corpus", str(second["corpus"]), "--index-dir", str(second["index"]), "search", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_the_cli_finds_the_second_document_by_its_own_title(second, capsys):
    out = json.loads(cli_search(second, capsys, QUESTION, "--json"))
    top = out["results"][0]
    assert (top["document"], top["passage_id"], top["label"]) == ("declaration", "declaration/p5", "para 5")
    assert top["citation"] == f"{CITED_AS}, para 5"
    assert out["answer"]["citation"] == top["citation"]
    source = (second["corpus"] / "declaration.txt").read_text(encoding="utf-8")
    assert source[top["start_char"]:top["end_char"]].startswith("5. He has dissolved Representative Houses")
    assert top["source"].endswith("declaration.txt")

    # the plain-text output: each of the second document's results is cited by its own title
    ranked = json.loads(cli_search(second, capsys, RIGHTS, "--json"))["results"]
    text = cli_search(second, capsys, RIGHTS)
    headings: dict[int, str] = {}
    for m in re.finditer(r"^ ?(\d+)\. (.*)$", text, re.M):     # " 1. <citation>  [kind]"
        headings.setdefault(int(m[1]), m[2])
    assert headings[1].startswith(f"{CITED_AS}, The preamble")
    ours = [r["rank"] for r in ranked if r["document"] == "declaration"]
    assert 1 in ours and all(headings[rank].startswith(CITED_AS) for rank in ours), text
    assert "Life, Liberty and the pursuit of Happiness" in text


def test_the_app_finds_the_second_document_and_names_it(second, tmp_path):
    from gradio_client import Client
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "app.log"
    env = {**os.environ, **APP_ENV, "ASKREPORT_INDEX_DIR": str(second["index"]),
           "ASKREPORT_CORPUS": str(second["corpus"]), "GRADIO_SERVER_NAME": "127.0.0.1"}
    env.pop("GRADIO_SERVER_PORT", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(proc, url, log)
        got = Client(url, verbose=False).predict(QUESTION, api_name="/search")
        top = got["results"][0]
        assert (top["document"], top["passage_id"]) == ("declaration", "declaration/p5")
        assert top["citation"] == f"{CITED_AS}, para 5"
        about_second = json.dumps([r for r in got["results"] if r["document"] == "declaration"] + [got["answer"]])
        assert "Ages of concern" not in about_second and "Ofsted" not in about_second

        with urllib.request.urlopen(url, timeout=30) as r:
            page = r.read().decode("utf-8")
        with urllib.request.urlopen(url + "config", timeout=30) as r:
            config = json.load(r)
    finally:
        stop(proc)
    assert "Ages of concern" not in config.get("title", "")     # the page's title: not the first document's
    # every text of the page that names the first document names the second too (a list of both); none
    # speaks of the first document's title alone, as if it were what was searched
    texts = [json.dumps(comp.get("props", {}).get(k)) for comp in config["components"]
             for k in ("value", "label", "choices", "placeholder", "info")]
    naming_first = [t for t in texts if "Ages of concern" in t]
    assert naming_first, "the page does not list the documents"
    assert all("Declaration of Independence" in t for t in naming_first), naming_first
    assert "Declaration of Independence" in page
