"""The index on Milvus (Milvus Lite, in a temporary folder; the fake embedder): ingest the report,
search as the local store does, filter by document, remove a document, refuse a collection built
with another model or dimension, and fail cleanly when the engine is unreachable or goes away.
Skipped when the `milvus` extra (pymilvus, milvus-lite) is not installed."""
from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from tests.conftest import CORPUS, SMALL_ENTRY, SMALL_REPORT, FakeEmbedder, free_port, write_corpus  # noqa: E402

DECLARATION = Path(__file__).resolve().parent / "data" / "declaration.txt"
QUERIES = ["What should a GP do with a baby's weight at the 8-week check?", "suicide pact",
           "Seventy girls and 73 boys were the subjects of the reviews", "looked after children and CAMHS",
           "Which boards had a review judged inadequate?", "unalienable rights endowed by their Creator"]


def manifest(index_dir: Path) -> dict:
    from index import store
    return store.load_index(index_dir).manifest


def client(uri: str):
    from pymilvus import MilvusClient
    return MilvusClient(uri=uri)


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """The report plus the Declaration, built twice: the local store and Milvus Lite."""
    from index.build import build
    root = tmp_path_factory.mktemp("milvus")
    uri = str(root / "lite" / "milvus.db")
    with pytest.MonkeyPatch.context() as mp:
        FakeEmbedder().install(mp)
        for name, kw in (("local", {}), ("milvus", {"engine": "milvus", "milvus_uri": uri})):
            build(CORPUS, root / name, progress=False, **kw)
            build(None, root / name, progress=False, paths=[DECLARATION])     # the store is kept from the index
    return root / "local", root / "milvus", uri


@pytest.fixture
def searchers(indexes, fake_embedder):
    from search.searcher import Searcher
    local, milvus, _ = indexes
    return Searcher.open(local), Searcher.open(milvus)


def test_manifest_records_the_collections_and_the_aliases_serve_them(indexes):
    _, milvus, uri = indexes
    record = manifest(milvus)["store"]
    assert record["store"] == "milvus" and record["uri"] == uri
    assert record["model"] == {"fingerprint": FakeEmbedder().info.fingerprint, "dimension": 384}
    c = client(uri)
    for key, alias in record["aliases"].items():
        assert c.describe_alias(alias)["collection_name"] == record["collections"][key]
    assert c.get_collection_stats(record["collections"]["passages"])["row_count"] == \
        manifest(milvus)["counts"]["passages"]
    assert "store" not in manifest(indexes[0])          # a local index's manifest is as it always was


def test_search_on_milvus_equals_the_local_store(searchers):
    local, milvus = searchers
    assert milvus.backend.name == "milvus" and local.backend.name == "local"
    for q in QUERIES:
        a, b = local.score(q), milvus.score(q)
        for key in ("dense_passage", "dense_sentence", "bm25", "unit"):
            np.testing.assert_allclose(a[key], b[key], atol=1e-5, err_msg=f"{key} for {q!r}")
        ra, rb = local.search(q, k=10), milvus.search(q, k=10)
        assert [h.passage_id for h in ra.results] == [h.passage_id for h in rb.results]
        assert [h.highlights for h in ra.results] == [h.highlights for h in rb.results]
        assert ra.answer.found == rb.answer.found


def test_filter_by_document_is_pushed_down(searchers, monkeypatch):
    from search.documents import Filters
    local, milvus = searchers
    seen = []
    original = milvus.backend._search
    monkeypatch.setattr(milvus.backend, "_search", lambda *a: seen.append(a[-1]) or original(*a))
    for docs in (["declaration"], ["ages-of-concern"]):
        q = "the right of the people to alter or abolish a government"
        ra, rb = local.search(q, filters=Filters(documents=docs)), milvus.search(q, filters=Filters(documents=docs))
        assert {h.document for h in rb.results} == set(docs)
        assert [h.passage_id for h in ra.results] == [h.passage_id for h in rb.results]
        assert [h.score for h in ra.results] == [h.score for h in rb.results]
    assert ["declaration"] in seen and None in seen       # lexical: the unfiltered top-k too (its best score)


def test_remove_a_document_writes_a_new_pair_and_drops_the_oldest(tmp_path, fake_embedder):
    from index.build import build
    from search.searcher import Searcher
    uri = str(tmp_path / "m.db")
    idx = tmp_path / "index"
    build(CORPUS, idx, progress=False, engine="milvus", milvus_uri=uri)
    first = manifest(idx)["store"]["collections"]
    build(None, idx, progress=False, paths=[DECLARATION])
    second = manifest(idx)["store"]["collections"]
    build(None, idx, progress=False, remove=["declaration"])
    third = manifest(idx)["store"]
    assert len({first["units"], second["units"], third["collections"]["units"]}) == 3
    names = set(client(uri).list_collections())
    assert not set(first.values()) & names                     # two generations back: dropped
    assert set(second.values()) <= names                       # the previous one: kept for a searcher not yet reloaded
    assert client(uri).describe_alias("askreport_units")["collection_name"] == third["collections"]["units"]
    s = Searcher.open(idx)
    assert s.backend.name == "milvus" and set(s.documents) == {"ages-of-concern"}
    assert all(h.document == "ages-of-concern" for h in s.search("unalienable rights", k=20).results)


def test_a_failed_commit_leaves_the_old_generation_and_aliases_served(tmp_path, fake_embedder, monkeypatch):
    import index.build
    from index.build import IngestError, build
    uri = str(tmp_path / "m.db")
    idx = tmp_path / "index"
    build(CORPUS, idx, progress=False, engine="milvus", milvus_uri=uri)
    before, names = manifest(idx), set(client(uri).list_collections())

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(index.build.store, "write_index", full)
    with pytest.raises(IngestError, match="disk full"):
        build(None, idx, progress=False, paths=[DECLARATION])
    assert manifest(idx) == before and set(client(uri).list_collections()) == names
    assert client(uri).describe_alias("askreport_passages")["collection_name"] == \
        before["store"]["collections"]["passages"]


@pytest.fixture
def small_milvus(tmp_path, fake_embedder):
    from index.build import build
    corpus = write_corpus(tmp_path / "corpus", {"small.txt": SMALL_REPORT}, [SMALL_ENTRY])
    uri = str(tmp_path / "small.db")
    build(corpus, tmp_path / "index", progress=False, engine="milvus", milvus_uri=uri)
    return tmp_path / "index", uri


def test_refuses_a_collection_of_another_model(small_milvus):
    from index.store import IndexLoadError
    from search.searcher import Searcher
    idx, uri = small_milvus
    units = manifest(idx)["store"]["collections"]["units"]
    c = client(uri)
    meta = json.loads(c.describe_collection(units)["properties"]["askreport.meta"])
    c.alter_collection_properties(units, properties={"askreport.meta": json.dumps(dict(meta, fingerprint="other"))})
    with pytest.raises(IndexLoadError, match=r"another model.*run `askreport ingest`"):
        Searcher.open(idx)


def test_refuses_a_collection_of_another_dimension(small_milvus):
    from pymilvus import DataType
    from index.store import IndexLoadError
    from search.searcher import Searcher
    idx, uri = small_milvus
    units = manifest(idx)["store"]["collections"]["units"]
    c = client(uri)
    meta = json.loads(c.describe_collection(units)["properties"]["askreport.meta"])
    c.drop_collection(units)                         # rebuilt under the same name by another model
    s = c.create_schema(auto_id=False)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=8)
    ip = c.prepare_index_params()
    ip.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
    c.create_collection(units, schema=s, index_params=ip,
                        properties={"askreport.meta": json.dumps(dict(meta, dimension=8))})
    with pytest.raises(IndexLoadError, match=r"dim 8.*run `askreport ingest`"):
        Searcher.open(idx)


def test_unreachable_server_at_ingest_changes_nothing(small_milvus, tmp_path):
    from index import store
    from index.build import build
    idx, _ = small_milvus
    before = manifest(idx)
    with pytest.raises(store.IndexLoadError, match="cannot be reached"):
        build(None, idx, progress=False, paths=[DECLARATION], milvus_uri=f"http://127.0.0.1:{free_port()}")
    assert manifest(idx) == before
    with pytest.raises(store.IndexLoadError, match="cannot be reached"):
        build(CORPUS, tmp_path / "fresh", progress=False, milvus_uri=f"http://127.0.0.1:{free_port()}")
    assert not store.exists(tmp_path / "fresh")


def test_unreachable_server_at_start_is_one_clean_error(small_milvus, fake_embedder):
    from index import store
    from search.searcher import Searcher
    idx, _ = small_milvus
    loaded = store.load_index(idx)
    loaded.manifest["store"] = dict(loaded.manifest["store"], uri=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(store.IndexLoadError, match=r"cannot be reached.*"):
        Searcher(loaded, *fake_embedder.load_model())


def test_server_gone_mid_query_is_one_clean_error(small_milvus, monkeypatch):
    from milvus_lite.server_manager import server_manager_instance
    import index.milvus
    from search.searcher import QueryError, Searcher
    idx, uri = small_milvus
    s = Searcher.open(idx)
    assert s.search("growth chart").results
    monkeypatch.setattr(index.milvus, "CALL_TIMEOUT", 3.0)
    server_manager_instance.release_server(uri)        # the engine goes away
    with pytest.raises(QueryError, match="failed during the search"):
        s.search("growth chart")


def test_cli_ingest_and_search_on_milvus(tmp_path, fake_embedder, capsys):
    import cli
    corpus = write_corpus(tmp_path / "corpus", {"small.txt": SMALL_REPORT}, [SMALL_ENTRY])
    base = ["--corpus", str(corpus), "--index-dir", str(tmp_path / "index")]
    assert cli.main(base + ["ingest", "--store", "milvus", "--milvus-uri", str(tmp_path / "m.db"), "--quiet"]) == 0
    assert manifest(tmp_path / "index")["store"]["uri"] == str((tmp_path / "m.db").resolve())
    capsys.readouterr()
    assert cli.main(base + ["search", "growth chart weight", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["results"] and out["results"][0]["document"] == "small"
    assert cli.main(base + ["ingest", "--store", "local", "--quiet"]) == 0        # and back
    assert "store" not in manifest(tmp_path / "index")


def test_local_path_must_end_in_db(tmp_path, fake_embedder):
    from index import store
    from index.build import build
    corpus = write_corpus(tmp_path / "corpus", {"small.txt": SMALL_REPORT}, [SMALL_ENTRY])
    with pytest.raises(store.IndexLoadError, match="ending in .db"):
        build(corpus, tmp_path / "index", progress=False, engine="milvus", milvus_uri=str(tmp_path / "milvus"))
    shutil.rmtree(tmp_path / "index", ignore_errors=True)
