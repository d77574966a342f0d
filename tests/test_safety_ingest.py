"""Nothing lost, nothing leaked: the ingest half.

Bad documents are skipped with a reason (or refused by the CLI), nothing outside the corpus is
read, markup is kept as text, re-ingest is incremental and exact, and a crash, a full disk or a
second ingest never leaves anything but the last complete index being served.

The embedder is a fake (hash of the text -> a 384-dim unit vector; tokens = words): these are
plumbing tests. The helpers here are imported by tests/test_safety_index.py too.
"""
from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import cli
from index import build as build_mod
from index import store
from index.build import IngestError, build
from ingest import reader
from ingest.pipeline import ingest_corpus

from conftest import FakeEmbedder, fake_vector

ROOT = Path(__file__).resolve().parent.parent


# -- the fake embedder (tests/conftest.py's) -----------------------------------------------------
def install_fake(monkeypatch=None, **kwargs) -> FakeEmbedder:
    """Patch index.build's and search's model functions (with monkeypatch in a test, plainly in a child process)."""
    return FakeEmbedder(**kwargs).install(monkeypatch)


@pytest.fixture
def fake(monkeypatch) -> FakeEmbedder:
    return install_fake(monkeypatch)


# -- tiny corpora ---------------------------------------------------------------------------
ALPHA = """Alpha report

Background

The first paragraph talks about babies and health visitors. It has two sentences.

The second paragraph is about young people aged fourteen. Agencies did not share information.

Findings

A third paragraph notes that practitioners underestimated risk. Supervision was weak.
"""

BETA = """Beta review

Summary

Beta says that assessments were not updated when circumstances changed. Managers rarely checked.

Recommendations

Local boards should audit the quality of referrals every year.
"""

GAMMA = """Gamma notes

Gamma is a short note about fathers who were not seen by any agency. It ends here.
"""

ALPHA_V2 = ALPHA.replace("Agencies did not share information.", "Agencies shared information too late.") + """
A fourth paragraph was added in the second edition. It mentions school nurses.
"""


def write_corpus(root: Path, docs: dict[str, str | bytes], entries: list[dict] | None = None) -> Path:
    """Files (str written as UTF-8, bytes as they are) and a catalogue; one entry per file by default."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in docs.items():
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    write_catalog(root, entries if entries is not None else [{"id": Path(n).stem, "file": n} for n in docs])
    return root


def write_catalog(root: Path, entries: list[dict]) -> None:
    lines = []
    for entry in entries:
        entry = {"title": f"{entry['id']} report", "short_title": entry["id"], "publisher": "Test",
                 "year": 2020, "licence": "test", **entry}
        lines += ["[[documents]]", *(f"{k} = {json.dumps(v)}" for k, v in entry.items()), ""]
    (root / "catalog.toml").write_text("\n".join(lines), encoding="utf-8")


def snapshot(index_dir: Path) -> dict[str, bytes]:
    """Every file of the index being served (the lock file and the embedding cache, which keeps the
    vectors of an interrupted ingest for the next one, aside), by relative path."""
    return {str(p.relative_to(index_dir)): p.read_bytes() for p in sorted(index_dir.rglob("*"))
            if p.is_file() and p.name != ".lock" and "embedding-cache" not in p.relative_to(index_dir).parts}


def leftovers(index_dir: Path) -> list[str]:
    """What is there besides the committed generation and CURRENT."""
    pointer = index_dir / "CURRENT"
    current = json.loads(pointer.read_text())["generation"] if pointer.exists() else None
    gens = index_dir / "generations"
    out = [f"generations/{c.name}" for c in sorted(gens.iterdir()) if c.name != current] if gens.is_dir() else []
    return out + [p.name for p in index_dir.glob("CURRENT.tmp")]


def ingest_args(corpus: Path, index_dir: Path, *extra: str) -> list[str]:
    return ["--corpus", str(corpus), "--index-dir", str(index_dir), "ingest", "--quiet", *extra]


def texts(passages) -> list[str]:
    return [p.text for p in passages]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    return lines[0]


# == 1. empty documents =====================================================================
@pytest.mark.parametrize("content", ["", "   \n\n\t  \n", "\u200b\u200d\n\u2060\n", b"\xef\xbb\xbf\n\n"],
                         ids=["empty", "whitespace", "zero-width-only", "bom-only"])
def test_empty_document_is_skipped_with_a_reason(tmp_path, content):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "empty.txt": content})
    report = ingest_corpus(corpus)
    assert [d.document.id for d in report.documents] == ["alpha"]
    [(doc_id, reason)] = report.skipped
    assert doc_id == "empty" and reason.startswith("empty.txt:") and "empty or whitespace only" in reason
    assert all(p.document == "alpha" and p.text.strip() for p in report.passages)


def test_cli_refuses_an_empty_document_in_one_line_and_keeps_the_index(tmp_path, fake, capsys):
    corpus, idx = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA}), tmp_path / "index"
    assert cli.main(ingest_args(corpus, idx)) == 0
    before = snapshot(idx)
    write_corpus(corpus, {"alpha.txt": ALPHA, "empty.txt": " \n \n"})
    capsys.readouterr()

    assert cli.main(ingest_args(corpus, idx)) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("askreport: ") and "empty.txt" in line and "--skip-invalid" in line
    assert snapshot(idx) == before                      # not a byte changed

    assert cli.main(ingest_args(corpus, idx, "--skip-invalid")) == 0
    err = capsys.readouterr().err
    assert [ln for ln in err.splitlines() if "skipped" in ln] == [
        "askreport: skipped empty: empty.txt: empty or whitespace only; skipped"]
    loaded = store.load_index(idx)
    assert set(loaded.documents) == {"alpha"} and {p.document for p in loaded.passages} == {"alpha"}
    assert all(p.text.strip() for p in loaded.passages)
    assert np.allclose(np.linalg.norm(loaded.vectors, axis=1), 1.0, atol=1e-4)    # no zero vector


@pytest.mark.parametrize("bad", ["zero", "nan"])
def test_a_zero_or_nan_vector_from_the_model_is_never_committed(tmp_path, fake, monkeypatch, bad):
    corpus, idx = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA}), tmp_path / "index"
    build(corpus, idx, progress=False)
    before = snapshot(idx)
    write_corpus(corpus, {"alpha.txt": ALPHA_V2})
    real = fake.encode_passages

    def degenerate(model, texts, show_progress=False):
        out = real(model, texts, show_progress)
        out[0] = 0.0 if bad == "zero" else np.nan
        return out

    monkeypatch.setattr(build_mod, "encode_passages", degenerate)
    with pytest.raises(IngestError, match="zero or non-unit vector"):
        build(corpus, idx, progress=False)
    assert snapshot(idx) == before


# == 2. binary files posing as text =========================================================
BINARIES = {
    "nul-bytes": b"Looks like text\x00\x00\x00 but is not.\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(64),
    "pdf": b"%PDF-1.7\n%\xc3\xa2\xc3\xa3\n1 0 obj << /Type /Catalog >> endobj\n",     # valid UTF-8
    "nul-after-64k": b"word " * 20_000 + b"\x00\x00 tail\n",
    "control-characters": b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 30 + b" a few words\n",
    "utf-16-without-bom": "A report in UTF-16 with no byte-order mark.\n".encode("utf-16-le"),
}


@pytest.mark.parametrize("name", BINARIES)
def test_binary_file_posing_as_text_is_skipped(tmp_path, name):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "bin.txt": BINARIES[name]})
    report = ingest_corpus(corpus)
    assert [d.document.id for d in report.documents] == ["alpha"]
    [(doc_id, reason)] = report.skipped
    assert doc_id == "bin" and reason.startswith("bin.txt: binary data") and reason.endswith("; skipped")


# == 3. encodings ===========================================================================
NON_ASCII = """Café report

The café’s staff said “no” — twice. Naïve plans failed at the crèche.

A second paragraph with a résumé, a façade and a 10 € fee.
"""


@pytest.mark.parametrize("bom,codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
                                       (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                                       (b"", "utf-8")],
                         ids=["utf-16-le-bom", "utf-16-be-bom", "utf-8-bom", "utf-32-le-bom", "utf-8"])
def test_documents_with_a_bom_are_decoded_with_exact_offsets(tmp_path, bom, codec):
    corpus = write_corpus(tmp_path / "corpus", {"doc.txt": bom + NON_ASCII.encode(codec)})
    report = ingest_corpus(corpus)
    assert report.skipped == []
    [doc] = report.documents
    text, encoding = reader.read_document(corpus, "doc.txt")
    assert text == NON_ASCII and encoding == doc.encoding           # no BOM character, no mojibake
    with open(corpus / "doc.txt", encoding=encoding) as f:          # the documented meaning of the offsets
        assert f.read() == text
    joined = "\n".join(texts(doc.passages))
    assert "The café’s staff said “no” — twice." in joined and "10 € fee" in joined
    assert not re.search("[\ufeff\ufffdÃâ]", joined)
    for p in doc.passages:
        assert text[p.start_char:p.end_char].split() == p.text.split()
        for s in p.sentences:
            assert text[s.start_char:s.end_char].split() == s.text.split()


@pytest.mark.parametrize("data", [
    "Caf\u00e9 \u201cquoted\u201d \u2013 saved as cp1252.\n".encode("cp1252"),
    b"A valid start, then \xc3\x28 an invalid sequence.\n",
    b"A sequence cut at the end \xe2\x82",
    b"\xff\xfe" + "Odd byte count".encode("utf-16-le") + b"\x00\xd8",       # lone surrogate
], ids=["cp1252", "invalid-utf-8", "truncated-utf-8", "broken-utf-16"])
def test_undecodable_documents_are_refused_never_mojibake(tmp_path, data):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "doc.txt": data})
    report = ingest_corpus(corpus)
    assert [d.document.id for d in report.documents] == ["alpha"]
    [(doc_id, reason)] = report.skipped
    assert doc_id == "doc"
    assert re.fullmatch(r"doc\.txt: not valid UTF-(8|16) text \(byte \d+\); convert it to UTF-8 first", reason), reason


# == 4. size limit ==========================================================================
class OpenSpy:
    """Records every file `ingest.reader` opens, and how much of it is read."""

    def __init__(self, before_open=None):
        self.opened: list[str] = []
        self.read_sizes: list[int] = []
        self.before_open = before_open

    def __call__(self, file, *args, **kwargs):
        self.opened.append(Path(file).name)
        if self.before_open:
            self.before_open(Path(file))
        return _RecordedFile(open(file, *args, **kwargs), self.read_sizes)


class _RecordedFile:
    def __init__(self, f, sizes: list[int]):
        self.f, self.sizes = f, sizes

    def read(self, n: int = -1):
        self.sizes.append(n)
        return self.f.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_oversized_document_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_DOCUMENT_BYTES", 1000)
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "big.txt": "Words and more words. " * 100})
    spy = OpenSpy()
    monkeypatch.setattr(reader, "open", spy, raising=False)
    report = ingest_corpus(corpus)
    assert report.skipped == [("big", "big.txt: 2,200 bytes is over the 1,000-byte limit; refused")]
    assert spy.opened == ["alpha.txt"]                  # the stat check came first: big.txt never opened


def test_real_size_limit_refuses_a_huge_sparse_file_unopened(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "huge.txt": b""})
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(reader.MAX_DOCUMENT_BYTES + 1)       # sparse: no disk used
    spy = OpenSpy()
    monkeypatch.setattr(reader, "open", spy, raising=False)
    report = ingest_corpus(corpus)
    [(doc_id, reason)] = report.skipped
    assert doc_id == "huge" and "over the 20,971,520-byte limit; refused" in reason
    assert "huge.txt" not in spy.opened


def test_document_growing_after_the_size_check_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_DOCUMENT_BYTES", 1000)
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "grows.txt": "Small for now.\n"})

    def grow(path: Path):
        if path.name == "grows.txt":
            with open(path, "ab") as f:
                f.write(b"x" * 5000)

    spy = OpenSpy(before_open=grow)
    monkeypatch.setattr(reader, "open", spy, raising=False)
    report = ingest_corpus(corpus)
    assert report.skipped == [("grows", "grows.txt: over the 1,000-byte limit; refused")]
    assert max(spy.read_sizes) == 1001                  # never read whole


# == 5. paths that leave the corpus folder ==================================================
ESCAPES = ["dotdot", "absolute", "symlink-to-etc-passwd", "symlink-outside", "symlinked-folder", "symlink-loop",
           "outline-dotdot", "outline-absolute", "outline-symlink-to-etc-passwd"]


@pytest.mark.parametrize("how", ESCAPES)
def test_catalogue_paths_escaping_the_corpus_are_refused_and_never_read(tmp_path, monkeypatch, how):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("Secret report\n\nSECRET paragraph that must never be indexed.\n")
    secret_outline = outside / "secret.outline.toml"
    secret_outline.write_text('headings = [[1, "Background"]]\n')
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA})
    entry = {"id": "evil", "file": "alpha.txt"}
    if how == "dotdot":
        entry["file"] = "../outside/secret.txt"
    elif how == "absolute":
        entry["file"] = str(secret)
    elif how == "symlink-to-etc-passwd":
        (corpus / "passwd.txt").symlink_to("/etc/passwd")
        entry["file"] = "passwd.txt"
    elif how == "symlink-outside":
        (corpus / "link.txt").symlink_to("../outside/secret.txt")
        entry["file"] = "link.txt"
    elif how == "symlinked-folder":
        (corpus / "sub").symlink_to(outside, target_is_directory=True)
        entry["file"] = "sub/secret.txt"
    elif how == "symlink-loop":
        (corpus / "a.txt").symlink_to("b.txt")
        (corpus / "b.txt").symlink_to("a.txt")
        entry["file"] = "a.txt"
    elif how == "outline-dotdot":
        entry["outline"] = "../outside/secret.outline.toml"
    elif how == "outline-absolute":
        entry["outline"] = str(secret_outline)
    elif how == "outline-symlink-to-etc-passwd":
        (corpus / "passwd.toml").symlink_to("/etc/passwd")
        entry["outline"] = "passwd.toml"
    write_catalog(corpus, [{"id": "alpha", "file": "alpha.txt"}, entry])

    opened: list[str] = []
    real_open = io.open

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            opened.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    monkeypatch.setattr(io, "open", spy)
    report = ingest_corpus(corpus)
    monkeypatch.undo()

    assert [d.document.id for d in report.documents] == ["alpha"]
    [(doc_id, reason)] = report.skipped
    assert doc_id == "evil"
    assert re.search(r"points outside the corpus folder; refused|must be a relative path inside|cannot be resolved",
                     reason), reason
    forbidden = {os.path.realpath(p) for p in (secret, secret_outline, "/etc/passwd")}
    assert not forbidden & set(opened), "a file outside the corpus was opened"
    assert not any("SECRET" in t or "root:" in t for t in texts(report.passages))


# == 6. markup is text ======================================================================
MARKUP_LINES = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('xss')</script>",
    '<a href="javascript:alert(1)">click</a>',
    "[a link](javascript:alert(document.cookie))",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffmark",
    "right-to-left \u202eoverride\u202c and \u2066isolate\u2069 and \u200fmark",
]
MARKUP = "Markup report\n\n" + "".join(f"Paragraph {i} holds {m} as plain text.\n\n"
                                       for i, m in enumerate(MARKUP_LINES, 1))


def test_markup_and_invisible_characters_are_stored_verbatim(tmp_path, fake):
    corpus, idx = write_corpus(tmp_path / "corpus", {"markup.txt": MARKUP}), tmp_path / "index"
    report = ingest_corpus(corpus)
    assert report.skipped == []
    by_text = texts(report.passages)
    for i, m in enumerate(MARKUP_LINES, 1):
        assert f"Paragraph {i} holds {m} as plain text." in by_text
    for p in report.passages:
        assert MARKUP[p.start_char:p.end_char] == p.text             # verbatim: a single-line paragraph
    build(corpus, idx, progress=False)
    loaded = store.load_index(idx)
    assert [p.to_dict() for p in loaded.passages] == [p.to_dict() for p in report.passages]
    assert {u["text"] for u in loaded.units} >= {p.text for p in report.passages if p.kind != "title"}


@pytest.mark.parametrize("name", ["line\u2028separator.txt", "next\x85line.txt", "para\u2029graph.txt"])
def test_line_separator_characters_in_names_survive_the_index(tmp_path, fake, name):
    """JSON leaves U+2028/U+2029/U+0085 unescaped: the JSONL reader must split on "\\n" only."""
    corpus, idx = write_corpus(tmp_path / "corpus", {name: ALPHA}, [{"id": "alpha", "file": name}]), tmp_path / "index"
    summary = build(corpus, idx, progress=False)
    loaded = store.load_index(idx)
    assert len(loaded.passages) == summary.passages and {p.source for p in loaded.passages} == {f"corpus/{name}"}


# == 7. re-ingest of an unchanged corpus =====================================================
def test_reingest_of_unchanged_corpus_is_identical_and_embeds_nothing(tmp_path, fake):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "beta.txt": BETA})
    idx = tmp_path / "index"
    first = build(corpus, idx, progress=False)
    assert first.embedded == first.units == fake.encoded > 0
    one = store.load_index(idx)
    fake.calls.clear()

    second = build(corpus, idx, progress=False)
    two = store.load_index(idx)
    assert second.embedded == 0 and fake.calls == []
    assert second.generation != first.generation and leftovers(idx) == []
    assert [p.passage_id for p in two.passages] == [p.passage_id for p in one.passages]
    assert two.manifest["files"] == one.manifest["files"]            # same bytes in every data file
    for key in ("counts", "documents", "model", "skipped"):
        assert two.manifest[key] == one.manifest[key]


# == 8. edited and removed documents =========================================================
def assert_consistent(index_dir: Path, documents: set[str]) -> store.LoadedIndex:
    loaded = store.load_index(index_dir)
    gen, manifest = loaded.path, loaded.manifest
    passage_lines = list(store._lines(gen / "passages.jsonl"))
    unit_lines = list(store._lines(gen / "units.jsonl"))
    vectors = np.load(gen / "vectors.npy")
    assert manifest["counts"] == {"passages": len(passage_lines), "units": len(unit_lines), "vectors": len(vectors)}
    assert len(unit_lines) == len(vectors)
    assert set(loaded.documents) == {d["id"] for d in manifest["documents"]} == documents
    assert {p.document for p in loaded.passages} == documents
    for d in manifest["documents"]:
        assert d["passages"] == sum(p.document == d["id"] for p in loaded.passages)
    for u, v in zip(loaded.units, vectors):                        # every vector is its own unit's
        assert np.allclose(v, fake_vector(u["text"]), atol=1e-6), u["text"]
    embedded = {u["passage"] for u in loaded.units}
    assert all(i in embedded for i, p in enumerate(loaded.passages) if p.kind not in ("title", "heading"))
    assert leftovers(index_dir) == []
    return loaded


def test_edited_and_removed_documents_leave_no_orphans(tmp_path, fake):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "beta.txt": BETA, "gamma.txt": GAMMA})
    idx = tmp_path / "index"
    build(corpus, idx, progress=False)
    before = assert_consistent(idx, {"alpha", "beta", "gamma"})
    old_unit_texts = {u["text"] for u in before.units}

    # alpha edited, beta taken out of the catalogue
    write_corpus(corpus, {"alpha.txt": ALPHA_V2}, [{"id": "alpha", "file": "alpha.txt"},
                                                   {"id": "gamma", "file": "gamma.txt"}])
    fake.calls.clear()
    summary = build(corpus, idx, progress=False)
    after = assert_consistent(idx, {"alpha", "gamma"})
    joined = "\n".join(texts(after.passages))
    assert "Agencies did not share information." not in joined and "Beta says" not in joined
    assert "Agencies shared information too late." in joined and "school nurses" in joined
    assert texts(after.passages) == texts(ingest_corpus(corpus).passages)
    new_texts = [u["text"] for u in after.units if u["text"] not in old_unit_texts]
    assert summary.embedded == len(new_texts) == fake.encoded > 0      # only the changed units

    # gamma's file deleted: refused by default, nothing changed; dropped with skip_invalid
    (corpus / "gamma.txt").unlink()
    kept = snapshot(idx)
    with pytest.raises(IngestError, match="gamma.txt: no such file"):
        build(corpus, idx, progress=False)
    assert snapshot(idx) == kept
    summary = build(corpus, idx, progress=False, skip_invalid=True)
    assert summary.skipped == [("gamma", f"gamma.txt: no such file in {corpus}")]
    final = assert_consistent(idx, {"alpha"})
    assert not any(p.document == "gamma" or "fathers" in p.text for p in final.passages)


# == 9. SIGKILL at any point =================================================================
# name: (what to hook, which call, kill before or after it, which index must then be served)
KILL_POINTS = {
    "while-writing-vectors": ("np.save", 1, "partial", "old"),
    "after-vectors-before-manifest": ("_write_bytes", 4, "before", "old"),
    "after-manifest-before-rename": ("_fsync_dir", 1, "before", "old"),
    "after-rename-before-pointer": ("_fsync_dir", 2, "after", "old"),
    "pointer-written-before-switch": ("os.replace", 2, "before", "old"),
    "right-after-switch": ("os.replace", 2, "after", "new"),
    "after-switch-before-cleanup": ("clean_leftovers", 1, "before", "new"),
}


def arm_kill(target: str, nth: int, when: str) -> None:
    """Make this process SIGKILL itself at the `nth` call of `target` (plain patching: a child only)."""
    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if target == "np.save":                      # write half the array, make it durable, die
        real_save = np.save

        def half_save(f, arr, allow_pickle=False):
            buf = io.BytesIO()
            real_save(buf, arr, allow_pickle=allow_pickle)
            f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            f.flush()
            os.fsync(f.fileno())
            die()

        np.save = half_save
        return
    owner, name = (os, "replace") if target == "os.replace" else (store, target)
    real, calls = getattr(owner, name), [0]

    def hook(*args, **kwargs):
        calls[0] += 1
        if calls[0] == nth and when == "before":
            die()
        out = real(*args, **kwargs)
        if calls[0] == nth and when == "after":
            die()
        return out

    setattr(owner, name, hook)


def ingest_killed_at(corpus: Path, index_dir: Path, point: str) -> None:
    """Run a real ingest in a forked child (the fake embedder is inherited) and SIGKILL it at `point`."""
    target, nth, when, _ = KILL_POINTS[point]
    pid = os.fork()
    if pid == 0:                                  # the child: never returns to pytest
        code = 3
        try:
            arm_kill(target, nth, when)
            build(corpus, index_dir, progress=False)
        except BaseException:
            code = 4
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while not (done := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the ingest child hung at {point}")
        time.sleep(0.005)
    status = done[1]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
        f"the ingest was not killed at {point} (exit status {status}): the hook never fired"


@pytest.mark.parametrize("point", KILL_POINTS)
def test_ingest_killed_at_any_point_serves_the_last_complete_index(tmp_path, fake, point):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "beta.txt": BETA})
    idx = tmp_path / "index"
    build(corpus, idx, progress=False)
    old = store.load_index(idx)
    old_files = {k: v for k, v in snapshot(idx).items() if k.startswith(f"generations/{old.path.name}/")}
    write_corpus(corpus, {"alpha.txt": ALPHA_V2, "beta.txt": BETA})      # the next ingest has something to write
    new_texts = texts(ingest_corpus(corpus).passages)

    ingest_killed_at(corpus, idx, point)

    served = store.load_index(idx)                               # "the next start"
    if KILL_POINTS[point][3] == "old":
        assert served.path.name == old.path.name and texts(served.passages) == texts(old.passages)
        assert {k: v for k, v in snapshot(idx).items() if k in old_files} == old_files
    else:
        assert served.path.name != old.path.name and texts(served.passages) == new_texts
    assert leftovers(idx), "the crash should have left something behind to clean up"

    summary = build(corpus, idx, progress=False)
    assert leftovers(idx) == [] and not list(idx.glob("generations/.tmp-*"))
    assert [c.name for c in (idx / "generations").iterdir()] == [summary.generation]
    assert texts(assert_consistent(idx, {"alpha", "beta"}).passages) == new_texts


def test_first_ingest_killed_leaves_no_index_and_is_cleaned_up(tmp_path, fake):
    corpus, idx = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA}), tmp_path / "index"
    ingest_killed_at(corpus, idx, "pointer-written-before-switch")
    with pytest.raises(store.IndexLoadError, match="no index in .*; run `askreport ingest`"):
        store.load_index(idx)
    build(corpus, idx, progress=False)
    assert leftovers(idx) == []
    assert_consistent(idx, {"alpha"})


def test_sigkilled_cli_ingest_in_a_fresh_interpreter(tmp_path, fake):
    """The same, end to end through `askreport ingest` in a separate `python -c`."""
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "beta.txt": BETA})
    idx = tmp_path / "index"
    build(corpus, idx, progress=False)
    old = store.load_index(idx)
    write_corpus(corpus, {"alpha.txt": ALPHA_V2, "beta.txt": BETA})
    code = ("import sys\n"
            "sys.path.insert(0, 'tests')\n"
            "from test_safety_ingest import arm_kill, install_fake\n"
            "install_fake()\n"
            "arm_kill('os.replace', 2, 'before')\n"
            "import cli\n"
            f"sys.exit(cli.main({ingest_args(corpus, idx)!r}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (idx / "CURRENT.tmp").exists()                       # killed inside the switch
    served = store.load_index(idx)
    assert served.path.name == old.path.name and texts(served.passages) == texts(old.passages)
    build(corpus, idx, progress=False)
    assert leftovers(idx) == []


# == 10. disk full ===========================================================================
@pytest.mark.parametrize("where", ["documents.json", "vectors.npy", "manifest.json", "CURRENT.tmp"])
def test_disk_full_during_ingest_is_one_clear_line_and_the_index_survives(tmp_path, fake, monkeypatch, capsys,
                                                                         where):
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "beta.txt": BETA})
    idx = tmp_path / "index"
    build(corpus, idx, progress=False)
    old, before = store.load_index(idx), snapshot(idx)
    write_corpus(corpus, {"alpha.txt": ALPHA_V2, "beta.txt": BETA})

    def enospc(path):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    real_write, real_save = store._write_bytes, np.save

    def full_write(path: Path, data: bytes) -> None:
        if path.name != where:
            return real_write(path, data)
        with open(path, "wb") as f:                 # what a full disk leaves: part of the file
            f.write(data[: len(data) // 2])
        raise enospc(path)

    def full_save(f, arr, allow_pickle=False):
        f.write(b"\x93NUMPY")
        raise enospc(f.name)

    monkeypatch.setattr(store, "_write_bytes", full_write)
    if where == "vectors.npy":
        monkeypatch.setattr(np, "save", full_save)
    capsys.readouterr()
    assert cli.main(ingest_args(corpus, idx)) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("askreport: disk full while writing ") and "askreport ingest" in line

    served = store.load_index(idx)
    assert served.path.name == old.path.name and texts(served.passages) == texts(old.passages)
    assert {k: v for k, v in snapshot(idx).items() if k != "CURRENT.tmp"} == before
    assert not list(idx.glob("generations/.tmp-*"))
    monkeypatch.setattr(store, "_write_bytes", real_write)
    monkeypatch.setattr(np, "save", real_save)
    build(corpus, idx, progress=False)                          # space freed: the next ingest cleans up
    assert leftovers(idx) == []


# == 11. two ingests at once =================================================================
def test_second_ingest_is_refused_while_the_first_holds_the_lock(tmp_path, fake, monkeypatch, capsys):
    corpus, idx = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA}), tmp_path / "index"
    entered, release = threading.Event(), threading.Event()
    real_encode, real_write = fake.encode_passages, store._write_bytes
    writers: list[tuple[str, str]] = []

    def slow_encode(model, texts, show_progress=False):
        if threading.current_thread().name == "first-ingest":
            entered.set()
            assert release.wait(30)
        return real_encode(model, texts, show_progress)

    def spy_write(path, data):
        writers.append((threading.current_thread().name, path.name))
        real_write(path, data)

    monkeypatch.setattr(build_mod, "encode_passages", slow_encode)
    monkeypatch.setattr(store, "_write_bytes", spy_write)
    result: dict = {}

    def first():
        try:
            result["summary"] = build(corpus, idx, progress=False)
        except BaseException as e:          # noqa: BLE001 - reported below
            result["error"] = e

    thread = threading.Thread(target=first, name="first-ingest")
    thread.start()
    try:
        assert entered.wait(30), "the first ingest never reached the model"
        with pytest.raises(store.IngestLockedError, match="another ingest is writing"):
            build(corpus, idx, progress=False)
        capsys.readouterr()
        assert cli.main(ingest_args(corpus, idx)) == 1
        assert "another ingest is writing" in one_line(capsys.readouterr().err)
        assert writers == [] and not list(idx.glob("generations/*"))
    finally:
        release.set()
        thread.join(30)
    assert "error" not in result, result.get("error")
    assert writers and {name for name, _ in writers} == {"first-ingest"}   # never written by both
    loaded = store.load_index(idx)
    assert loaded.path.name == result["summary"].generation and leftovers(idx) == []
    assert build(corpus, idx, progress=False).embedded == 0              # the lock is free again


def test_lock_held_by_another_process_refuses_and_dies_with_it(tmp_path, fake):
    corpus, idx = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA}), tmp_path / "index"
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            with store.ingest_lock(idx):
                os.write(ready_w, b"x")
                time.sleep(60)
        finally:
            os._exit(0)
    try:
        assert os.read(ready_r, 1) == b"x"
        with pytest.raises(store.IngestLockedError):
            build(corpus, idx, progress=False)
        assert not (idx / "generations").exists()
    finally:
        os.kill(pid, signal.SIGKILL)             # a crashed ingest releases its lock with its process
        os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(ready_w)
    build(corpus, idx, progress=False)
    assert_consistent(idx, {"alpha"})
