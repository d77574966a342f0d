"""Nothing lost, nothing leaked: the index-loading half.

A damaged, tampered, inconsistent or foreign index is refused at start with the fix
(`askreport ingest`); no pickle planted in the index is ever loaded; FAISS never turns its -1
padding into the last passage. (Model folders with custom code or pickle weights: tests/test_models.py.)

Damage is done two ways where it matters: as it comes (the manifest's sha256 must catch it) and
with every checksum fixed up afterwards (so only the parsers and the consistency checks can).
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import faiss
import numpy as np
import pytest

import cli
from index import dense, models, store
from tests.conftest import FAKE_FINGERPRINT, FakeEmbedder, write_corpus
from tests.test_safety_ingest import ALPHA, BETA, one_line

FIX = "askreport ingest"


# -- helpers --------------------------------------------------------------------------------
@pytest.fixture
def idx(tmp_path, fake_embedder) -> Path:
    """A small committed index built with the fake embedder (tests/conftest.py)."""
    from index.build import build
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA, "beta.txt": BETA})
    build(corpus, tmp_path / "index", progress=False)
    return tmp_path / "index"


def gen_dir(index_dir: Path) -> Path:
    return index_dir / "generations" / json.loads((index_dir / "CURRENT").read_text())["generation"]


def index_file(index_dir: Path, name: str) -> Path:
    return index_dir / "CURRENT" if name == "CURRENT" else gen_dir(index_dir) / name


def fix_pointer(index_dir: Path) -> None:
    """Make CURRENT agree with whatever manifest.json now holds."""
    pointer = json.loads((index_dir / "CURRENT").read_text())
    pointer["manifest_sha256"] = store.sha256_file(gen_dir(index_dir) / "manifest.json")
    (index_dir / "CURRENT").write_text(json.dumps(pointer))


def rehash(index_dir: Path, edit=None) -> None:
    """Re-record every data file's sha256 in the manifest (after `edit(manifest)`), then fix CURRENT."""
    gen = gen_dir(index_dir)
    manifest = json.loads((gen / "manifest.json").read_text())
    if edit:
        edit(manifest)
    manifest["files"] = {name: store.sha256_file(gen / name) for name in store.DATA_FILES}
    (gen / "manifest.json").write_text(json.dumps(manifest, indent=1))
    fix_pointer(index_dir)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in store._lines(path)]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def refused(index_dir: Path, match: str = FIX) -> str:
    with pytest.raises(store.IndexLoadError, match=match) as e:
        store.load_index(index_dir)
    assert FIX in str(e.value) and "\n" not in str(e.value)
    return str(e.value)


def test_the_untouched_index_loads(idx):
    """The control for every refusal below."""
    loaded = store.load_index(idx)
    assert len(loaded.passages) > 5 and len(loaded.vectors) == len(loaded.units)


# == 12. truncated, empty or garbage files ====================================================
DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "garbage": lambda b: bytes(range(256)) * 3,
}
DAMAGED = [(name, damage, rehashed)
           for name in ("vectors.npy", "passages.jsonl", "units.jsonl", "documents.json", "manifest.json", "CURRENT")
           for damage in DAMAGE
           for rehashed in ((False, True) if name != "CURRENT" else (False,))]


@pytest.mark.parametrize("name,damage,rehashed", DAMAGED,
                         ids=[f"{n}-{d}-{'checksums-fixed' if r else 'as-is'}" for n, d, r in DAMAGED])
def test_damaged_index_file_is_refused_with_the_fix(idx, name, damage, rehashed):
    path = index_file(idx, name)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    if rehashed and name == "manifest.json":
        fix_pointer(idx)
    elif rehashed:
        rehash(idx)
    message = refused(idx)
    if not rehashed and name != "CURRENT":
        assert "checksum" in message


def test_cli_refuses_a_damaged_index_at_start_in_one_line(idx, capsys, monkeypatch):
    import search.searcher
    monkeypatch.setattr(search.searcher, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    path = index_file(idx, "vectors.npy")
    path.write_bytes(path.read_bytes()[:100])
    assert cli.main(["--index-dir", str(idx), "search", "babies"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("askreport: ") and FIX in line


# == 13. one flipped byte anywhere ============================================================
ALL_FILES = [*store.DATA_FILES, "manifest.json", "CURRENT"]


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("name", ALL_FILES)
def test_one_flipped_byte_in_any_index_file_is_caught(idx, name, where):
    path = index_file(idx, name)
    data = bytearray(path.read_bytes())
    i = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[where]
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
    message = refused(idx)
    if name != "CURRENT":
        assert "checksum" in message            # the manifest's sha256 caught it, not luck in a parser


# == 14. inconsistent counts and missing ids ==================================================
def drop_last_vector(index_dir: Path, fix_counts: bool) -> None:
    path = gen_dir(index_dir) / "vectors.npy"
    np.save(path, np.load(path)[:-1])
    if fix_counts:
        rehash(index_dir, lambda m: m["counts"].update(units=m["counts"]["units"] - 1,
                                                       vectors=m["counts"]["vectors"] - 1))
    else:
        rehash(index_dir)


def drop_unit(index_dir: Path) -> None:
    path = gen_dir(index_dir) / "units.jsonl"
    write_jsonl(path, read_jsonl(path)[:-1])
    rehash(index_dir, lambda m: m["counts"].update(units=m["counts"]["units"] - 1))


def drop_passage(index_dir: Path, which: str) -> None:
    """Remove a passage that no unit points at (a heading), fixing the total in the manifest."""
    path = gen_dir(index_dir) / "passages.jsonl"
    rows = read_jsonl(path)
    units = read_jsonl(gen_dir(index_dir) / "units.jsonl")
    used = {u["passage"] for u in units}
    i = max(j for j, r in enumerate(rows) if j not in used) if which == "last-heading" else 0
    del rows[i]
    write_jsonl(path, rows)
    rehash(index_dir, lambda m: m["counts"].update(passages=m["counts"]["passages"] - 1))


def edit_rows(index_dir: Path, name: str, change) -> None:
    """Change the rows of one JSONL file of the live generation, then re-sign the manifest."""
    path = gen_dir(index_dir) / name
    rows = read_jsonl(path)
    change(rows)
    write_jsonl(path, rows)
    rehash(index_dir)


def edit_passages(index_dir: Path, change) -> None:
    edit_rows(index_dir, "passages.jsonl", change)


def edit_units(index_dir: Path, change) -> None:
    edit_rows(index_dir, "units.jsonl", change)


def drop_document(index_dir: Path) -> None:
    path = gen_dir(index_dir) / "documents.json"
    path.write_text(json.dumps([d for d in json.loads(path.read_text()) if d["id"] != "beta"]))
    rehash(index_dir)


INCONSISTENT = {
    "vector-row-missing": lambda i: drop_last_vector(i, fix_counts=False),
    "vector-row-missing-counts-fixed": lambda i: drop_last_vector(i, fix_counts=True),
    "unit-missing-counts-fixed": drop_unit,
    "passage-missing-counts-fixed": lambda i: drop_passage(i, "last-heading"),
    "first-passage-missing-counts-fixed": lambda i: drop_passage(i, "first"),
    "passage-id-missing": lambda i: edit_passages(i, lambda rows: rows[3].pop("passage_id")),
    "passage-id-empty": lambda i: edit_passages(i, lambda rows: rows[3].update(passage_id="")),
    "passage-id-duplicated": lambda i: edit_passages(i, lambda rows: rows[3].update(passage_id=rows[2]["passage_id"])),
    "passage-of-an-unknown-document": lambda i: edit_passages(i, lambda rows: rows[3].update(document="nobody")),
    "document-missing": drop_document,
    "unit-points-past-the-end": lambda i: edit_units(i, lambda rows: rows[-1].update(passage=10_000)),
    "unit-points-at-another-passage": lambda i: edit_units(i, lambda rows: rows[-1].update(passage=0)),
    "unit-without-passage": lambda i: edit_units(i, lambda rows: rows[-1].pop("passage")),
    "unit-is-not-an-object": lambda i: edit_units(i, lambda rows: rows.__setitem__(-1, [1, 2, 3])),
}


@pytest.mark.parametrize("how", INCONSISTENT)
def test_inconsistent_index_is_refused_before_the_first_query(idx, how):
    INCONSISTENT[how](idx)
    refused(idx)


def test_searcher_refuses_an_inconsistent_index_before_loading_the_model(idx, monkeypatch):
    import search.searcher
    monkeypatch.setattr(search.searcher, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    drop_last_vector(idx, fix_counts=True)
    with pytest.raises(store.IndexLoadError, match="counts disagree"):
        search.searcher.Searcher.open(idx)


# == 15. another model, dimension or normalisation ============================================
def open_with(monkeypatch, index_dir: Path, embedder: FakeEmbedder):
    import search.searcher
    embedder.install(monkeypatch)
    return search.searcher.Searcher.open(index_dir)


def test_same_fake_model_opens(idx, monkeypatch):
    """The control: the index opens with the model that built it."""
    searcher = open_with(monkeypatch, idx, FakeEmbedder())
    assert len(searcher.passages) == len(store.load_index(idx).passages)


def test_index_from_another_model_is_refused_naming_both(idx, monkeypatch):
    rehash(idx, lambda m: m["model"].update(fingerprint="0ther-model-fingerprint", model_id="someone/else"))
    with pytest.raises(store.IndexLoadError) as e:
        open_with(monkeypatch, idx, FakeEmbedder())
    message = str(e.value)
    assert "someone/else" in message and "0ther-model-" in message              # what built the index
    assert "fake/hash-embedder" in message and FAKE_FINGERPRINT[:12] in message  # what is installed
    assert FIX in message


def test_index_with_another_dimension_is_refused_naming_both(tmp_path, monkeypatch):
    from index.build import build
    FakeEmbedder(dim=768).install(monkeypatch)
    corpus = write_corpus(tmp_path / "corpus", {"alpha.txt": ALPHA})
    build(corpus, tmp_path / "index", progress=False)
    with pytest.raises(store.IndexLoadError) as e:
        open_with(monkeypatch, tmp_path / "index", FakeEmbedder(dim=384))
    assert "dim 768" in str(e.value) and "dim 384" in str(e.value) and FIX in str(e.value)


def test_manifest_dimension_that_disagrees_with_the_vectors_is_refused(idx):
    rehash(idx, lambda m: m["model"].update(dimension=768))
    refused(idx, match="vectors have dimension 384, manifest says 768")


def test_index_built_without_normalisation_is_refused_naming_both(idx):
    rehash(idx, lambda m: m["model"].update(normalised=False))
    message = refused(idx)
    assert "normalised=False" in message and "normalised=True" in message


def test_vectors_that_are_not_unit_length_are_refused(idx):
    path = gen_dir(idx) / "vectors.npy"
    np.save(path, np.load(path) * 2)
    rehash(idx)
    refused(idx, match="not normalised")


@pytest.mark.slow
def test_index_from_a_fake_model_is_refused_by_the_installed_model(idx, monkeypatch):
    """With the real all-MiniLM-L6-v2: its fingerprint is not the fake one that built the index."""
    import search.searcher
    monkeypatch.setattr(search.searcher, "load_model", models.load_model)     # the real one, not the fake
    with pytest.raises(store.IndexLoadError) as e:
        search.searcher.Searcher.open(idx)
    installed = models.model_fingerprint(models.get_preset("fast").locate())
    assert FAKE_FINGERPRINT[:12] in str(e.value) and installed[:12] in str(e.value) and FIX in str(e.value)


# == 16. a pickle where data should be =========================================================
class Touch:
    """Unpickling this creates a file: proof that a pickle ran."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_the_pickle_payload_is_live(tmp_path):
    """So that the marker staying absent below means something."""
    pickle.loads(pickle.dumps(Touch(tmp_path / "live"))).close()
    assert (tmp_path / "live").exists()


PLANTED = [(name, kind, rehashed)
           for name, kind in [("vectors.npy", "pickle-protocol-5"), ("vectors.npy", "pickle-protocol-0"),
                              ("vectors.npy", "npy-object-array"), ("passages.jsonl", "pickle-protocol-5"),
                              ("passages.jsonl", "pickle-protocol-0"), ("units.jsonl", "pickle-protocol-5"),
                              ("documents.json", "pickle-protocol-0"), ("manifest.json", "pickle-protocol-5")]
           for rehashed in (False, True)]


@pytest.mark.parametrize("name,kind,rehashed", PLANTED,
                         ids=[f"{n}-{k}-{'checksums-fixed' if r else 'as-is'}" for n, k, r in PLANTED])
def test_a_pickle_dropped_in_place_of_index_data_is_never_loaded(idx, tmp_path, name, kind, rehashed):
    marker = tmp_path / "pwned"
    path = index_file(idx, name)
    if kind == "npy-object-array":
        with open(path, "wb") as f:
            np.save(f, np.array([Touch(marker)], dtype=object), allow_pickle=True)
    else:
        path.write_bytes(pickle.dumps(Touch(marker), protocol=int(kind[-1])))
    if rehashed and name == "manifest.json":
        fix_pointer(idx)
    elif rehashed:
        rehash(idx)
    refused(idx)
    assert not marker.exists(), "the planted pickle was executed"


# == 17. model folders that would run code ====================================================
# Covered in tests/test_models.py (not duplicated here): test_refuses_auto_map_without_running_custom_code,
# test_refuses_auto_map_in_any_json, test_refuses_foreign_module_type,
# test_refuses_pickle_only_weights_without_unpickling, test_refuses_pickle_weights_in_a_module_folder,
# with test_pickle_payload_really_runs_when_unpickled as the control.


# == 22. FAISS padding and degenerate queries ==================================================
def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("index_type", dense.INDEX_TYPES)
@pytest.mark.parametrize("k", [5, 6, 50])
def test_k_larger_than_the_index_returns_only_real_ids(index_type, k):
    vectors = unit_rows(5, 16, seed=1)
    index = dense.build_faiss(vectors, index_type)
    hits = dense.search(index, vectors[2], k)
    assert sorted(i for i, _ in hits) == [0, 1, 2, 3, 4] and hits[0][0] == 2


@pytest.mark.parametrize("index_type", dense.INDEX_TYPES)
@pytest.mark.parametrize("query", ["zeros", "nan", "inf", "nan-one"])
def test_degenerate_query_never_turns_minus_one_into_the_last_passage(index_type, query):
    n, dim = 7, 16
    vectors = unit_rows(n, dim, seed=2)
    index = dense.build_faiss(vectors, index_type)
    q = {"zeros": np.zeros(dim), "nan": np.full(dim, np.nan), "inf": np.full(dim, np.inf),
         "nan-one": np.where(np.arange(dim) == 3, np.nan, 0.1)}[query].astype(np.float32)
    hits = dense.search(index, q, 50)
    assert all(0 <= i < n and np.isfinite(s) for i, s in hits)
    scores = dense.all_scores(index, q, n)
    if query == "zeros":
        assert np.array_equal(scores, np.zeros(n, dtype=np.float32))   # every unit really scores 0
    else:
        assert np.array_equal(scores, np.full(n, -1.0, dtype=np.float32)), scores   # nothing, last one included


@pytest.mark.parametrize("k", [0, -3])
def test_k_zero_or_negative_returns_nothing(k):
    index = dense.build_faiss(unit_rows(4, 8, seed=3))
    assert dense.search(index, unit_rows(1, 8, seed=4)[0], k) == []


def test_flat_index_top_k_equals_numpy_brute_force():
    vectors, queries = unit_rows(500, 384, seed=5), unit_rows(20, 384, seed=6)
    index = dense.build_faiss(vectors, "flat-ip")
    for q in queries:
        exact = vectors @ q
        order = np.argsort(-exact, kind="stable")
        hits = dense.search(index, q, 10)
        assert [i for i, _ in hits] == order[:10].tolist()
        assert np.allclose([s for _, s in hits], exact[order[:10]], atol=1e-5)
        assert np.allclose(dense.all_scores(index, q, len(vectors)), exact, atol=1e-5)   # k = n: every unit
    assert isinstance(index, faiss.IndexFlatIP)


@pytest.mark.parametrize("index_type", dense.INDEX_TYPES)
def test_the_dense_index_ranks_the_exact_top_unit_first(index_type):
    """The approximate (HNSW) index returns the exact index's top unit, on 3,000 units."""
    vectors, queries = unit_rows(3000, 64, seed=7), unit_rows(25, 64, seed=8)
    index = dense.DenseIndex(vectors, index_type)
    for q in queries:
        scores = index.scores(q)
        assert int(np.argmax(scores)) == int(np.argmax(vectors @ q))
    assert np.array_equal(index.scores(np.full(64, np.nan, dtype=np.float32)), np.full(3000, -1.0, dtype=np.float32))
