"""The retrieval half of an index on Milvus, through pymilvus's MilvusClient: a URI that is a local
path ending in .db runs Milvus Lite in this process (the `milvus` extra installs it); http://host:19530
is a Milvus server or cluster, the same client code.

Two collections per generation, `askreport_<build>_units` and `askreport_<build>_passages`:

    units     id (int64, the unit's row in units.jsonl), passage (int64), document (varchar),
              vector (FLOAT_VECTOR, the model's dimension; IP metric: the vectors are L2-normalised,
              so the inner product is the cosine search uses locally)
    passages  id (int64, the passage's row), document (varchar), terms (varchar: the passage's heading
              path and text as our BM25 tokenizer cuts them, stemmed, stop words out, space-separated),
              sparse (SPARSE_FLOAT_VECTOR, made from `terms` by a BM25 Function; k1 1.2, b 0.75 as bm25s)

`terms` is analysed text, not the raw text: Milvus Lite's analyzers have no stemmer ("standard" and
"jieba" only), and pre-analysing the text makes Lite, a server and the local bm25s count the same
terms. Passages, spans, citations and texts are never in Milvus: they stay in the manifest-checked
store, and ids are rows of its files.

Ingest writes a new collection pair, then commits the local generation (its manifest names the pair),
then points the aliases `askreport_units` / `askreport_passages` at it and drops the pair of the
generation before the previous one (the previous one stays for a searcher that has not reloaded yet).
A push or commit that fails drops the new pair: the old generation and its aliases stay served.
Each collection records the model's fingerprint and dimension (property `askreport.meta`); a
searcher refuses a collection whose record, rows or dimension disagree with the manifest.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path

import numpy as np

from ingest.passage import Passage
from . import store
from .backends import EngineError, Terms, lexical_text

UNITS_ALIAS, PASSAGES_ALIAS = "askreport_units", "askreport_passages"
DENSE_K = 2000                # units a dense search returns (as index.dense.APPROX_K; a server allows 16,384)
LEXICAL_K = 2000              # passages a lexical search returns
INSERT_BATCH = 2000           # rows per insert call (2,000 x 768 floats: 6 MB, under gRPC's 64 MB)
CALL_TIMEOUT = 30.0           # seconds for one call to the engine; then a clean error, no half answer
CONNECT_TIMEOUT = 10.0
META_KEY = "askreport.meta"
TERMS_FORMAT = "bm25s-english-stem-1"   # what `terms` holds (our tokenizer); a change needs a rebuild
BM25_PARAMS = {"bm25_k1": 1.2, "bm25_b": 0.75}   # bm25s's (index.lexical); Milvus defaults to k1 1.5
MAX_VARCHAR = 65535
DOC_ID_CHARS = 1024
FIX = "run `askreport ingest` to rebuild it"


def _pymilvus():
    try:
        import pymilvus
    except ImportError:
        raise EngineError("the Milvus store needs pymilvus and milvus-lite: pip install -e '.[milvus]'") from None
    for name in ("pymilvus", "pymilvus.milvus_client"):    # it logs every failed call with a traceback;
        logging.getLogger(name).setLevel(logging.CRITICAL)  # we turn each into one line of our own
    return pymilvus


def is_local(uri: str) -> bool:
    return not re.match(r"^(https?|tcp|unix)://|^unix:", uri)


def resolve_uri(uri: str) -> str:
    """A server URI as given; a Milvus Lite path made absolute (the manifest must not depend on the
    folder a command runs in) and checked to end in .db, as pymilvus requires."""
    uri = str(uri).strip()
    if not is_local(uri):
        return uri
    if not uri.endswith(".db"):
        raise EngineError(f"--milvus-uri {uri!r}: a Milvus Lite database is a path ending in .db "
                          "(e.g. ./data/milvus.db), a server http://host:19530")
    return str(Path(uri).expanduser().resolve())


def _message(e: BaseException) -> str:
    text = getattr(e, "message", None) or str(e) or e.__class__.__name__
    return " ".join(str(text).split())[:300]


def _lite_locked(path: str) -> bool:
    """Is the Milvus Lite database at `path` held by another process (it serves one at a time)?"""
    import fcntl
    lock = Path(path) / "LOCK"
    if not lock.is_file():
        return False
    with open(lock, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


def connect(uri: str):
    """A MilvusClient for `uri`; EngineError (one line) when it cannot be had."""
    pymilvus = _pymilvus()
    if is_local(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("milvus_lite").addHandler(logging.NullHandler())   # its tracebacks: not ours to print
    try:
        return pymilvus.MilvusClient(uri=uri, timeout=CONNECT_TIMEOUT)
    except Exception as e:          # pymilvus raises MilvusException, grpc errors or OSError here
        if is_local(uri) and _lite_locked(uri):
            raise EngineError(f"the Milvus Lite database {uri} is open in another process (Milvus Lite serves "
                              "one process at a time: stop the other, or run a Milvus server)") from None
        raise EngineError(f"the Milvus at {uri} cannot be reached ({_message(e)}); start it, or rebuild "
                          "the index locally with `askreport ingest --store local`") from None


def _engine_errors() -> tuple[type[BaseException], ...]:
    import grpc
    return (_pymilvus().exceptions.MilvusException, grpc.RpcError, OSError)


def _meta(model: dict, kind: str, count: int, build: str) -> dict:
    return {"kind": kind, "build": build, "fingerprint": model.get("fingerprint"), "model_id": model.get("model_id"),
            "dimension": model.get("dimension"), "rows": count, "terms": TERMS_FORMAT}


# -- writing (index.build calls these around store.write_index) -----------------------------------
class Push:
    """A new collection pair holding one generation's retrieval data; `record` goes in the manifest.
    publish() after the generation is committed, discard() when anything failed before that."""

    def __init__(self, uri: str, previous: dict | None):
        self.uri = resolve_uri(uri)
        self.previous = previous if isinstance(previous, dict) and previous.get("store") == "milvus" else None
        self.client = connect(self.uri)
        build = time.strftime("%Y%m%dT%H%M%S") + f"_{os.getpid()}_{time.monotonic_ns() % 10**6:06d}"
        self.collections = {"units": f"askreport_{build}_units", "passages": f"askreport_{build}_passages"}
        self.build = build
        self.record: dict = {}

    def write(self, manifest: dict, passages: list[Passage], units: list[dict], vectors: np.ndarray,
              terms: Terms | None = None) -> dict:
        """Create and fill the pair; returns the manifest's store record."""
        pymilvus = _pymilvus()
        DataType, Function, FunctionType = pymilvus.DataType, pymilvus.Function, pymilvus.FunctionType
        model, c = manifest["model"], self.client
        terms = terms or Terms()
        try:
            s = c.create_schema(auto_id=False, enable_dynamic_field=False, description="askreport units")
            s.add_field("id", DataType.INT64, is_primary=True)
            s.add_field("passage", DataType.INT64)
            s.add_field("document", DataType.VARCHAR, max_length=DOC_ID_CHARS)
            s.add_field("vector", DataType.FLOAT_VECTOR, dim=int(model["dimension"]))
            ip = c.prepare_index_params()
            ip.add_index(field_name="vector", metric_type="IP", **_dense_index(manifest.get("index_type")))
            c.create_collection(self.collections["units"], schema=s, index_params=ip, timeout=CALL_TIMEOUT,
                                properties={META_KEY: json.dumps(_meta(model, "units", len(units), self.build))})

            s = c.create_schema(auto_id=False, enable_dynamic_field=False, description="askreport passages")
            s.add_field("id", DataType.INT64, is_primary=True)
            s.add_field("document", DataType.VARCHAR, max_length=DOC_ID_CHARS)
            s.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                        analyzer_params={"tokenizer": "standard"})
            s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            s.add_function(Function(name="terms_bm25", function_type=FunctionType.BM25,
                                    input_field_names=["terms"], output_field_names=["sparse"]))
            ip = c.prepare_index_params()
            ip.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={**BM25_PARAMS, "params": BM25_PARAMS})   # flat for a server, nested for Lite
            c.create_collection(self.collections["passages"], schema=s, index_params=ip, timeout=CALL_TIMEOUT,
                                properties={META_KEY: json.dumps(_meta(model, "passages", len(passages), self.build))})

            docs = [p.document for p in passages]
            for start in range(0, len(units), INSERT_BATCH):
                rows = [{"id": n, "passage": u["passage"], "document": docs[u["passage"]],
                         "vector": vectors[n].tolist()}
                        for n, u in enumerate(units[start:start + INSERT_BATCH], start)]
                c.insert(self.collections["units"], rows, timeout=CALL_TIMEOUT)
            for start in range(0, len(passages), INSERT_BATCH):
                batch = passages[start:start + INSERT_BATCH]
                analysed = terms.tokenize([lexical_text(p) for p in batch])
                rows = [{"id": n, "document": p.document, "terms": _fit(" ".join(t))}
                        for n, (p, t) in enumerate(zip(batch, analysed), start)]
                c.insert(self.collections["passages"], rows, timeout=CALL_TIMEOUT)
            for name in self.collections.values():
                c.flush(name, timeout=CALL_TIMEOUT)       # sealed: indexed once, not at every search
        except _engine_errors() as e:
            raise EngineError(f"writing the index to the Milvus at {self.uri} failed ({_message(e)}); "
                              "the index being served is unchanged") from None
        self.record = {"store": "milvus", "uri": self.uri, "collections": dict(self.collections),
                       "aliases": {"units": UNITS_ALIAS, "passages": PASSAGES_ALIAS},
                       "model": {"fingerprint": model.get("fingerprint"), "dimension": model.get("dimension")},
                       "terms": TERMS_FORMAT, "dense_k": DENSE_K, "lexical_k": LEXICAL_K,
                       "previous_collections": (self.previous or {}).get("collections")}
        return self.record

    def publish(self) -> None:
        """After the commit: the aliases now serve the new pair; the pair two generations back goes.
        A failure here is reported, not raised: the generation is committed and searchable by name."""
        c = self.client
        try:
            existing = set(c.list_aliases(timeout=CALL_TIMEOUT).get("aliases") or [])
            for key, alias in (("units", UNITS_ALIAS), ("passages", PASSAGES_ALIAS)):
                switch = c.alter_alias if alias in existing else c.create_alias
                switch(self.collections[key], alias, timeout=CALL_TIMEOUT)
            stale = (self.previous or {}).get("previous_collections") or {}
            for name in stale.values() if isinstance(stale, dict) else []:
                if isinstance(name, str) and name not in self.collections.values() and c.has_collection(name):
                    c.drop_collection(name, timeout=CALL_TIMEOUT)
        except _engine_errors() as e:
            import sys
            print(f"askreport: the index is committed, but switching the Milvus aliases failed ({_message(e)}); "
                  "search uses the collections named in the manifest and is unaffected", file=sys.stderr)
        finally:
            self.close()

    def discard(self, index_dir: Path | None = None) -> None:
        """Before the commit, something failed: drop the new pair, leave everything else as it was
        (unless the generation naming it was committed after all: then it is kept)."""
        if index_dir is not None and _committed(index_dir, self.collections):
            return self.close()
        try:
            for name in self.collections.values():
                if self.client.has_collection(name, timeout=CALL_TIMEOUT):
                    self.client.drop_collection(name, timeout=CALL_TIMEOUT)
        except _engine_errors():
            pass              # unreachable: the orphan pair is named by its build and holds nothing served
        finally:
            self.close()

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass


def _committed(index_dir: Path, collections: dict) -> bool:
    try:
        pointer = json.loads((index_dir / "CURRENT").read_text(encoding="utf-8"))
        manifest = json.loads((index_dir / "generations" / pointer["generation"] / "manifest.json").read_text("utf-8"))
        return manifest["store"]["collections"] == collections
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _dense_index(index_type: str | None) -> dict:
    if index_type == "hnsw":          # as index.dense builds it locally
        return {"index_type": "HNSW", "params": {"M": 32, "efConstruction": 200}}
    return {"index_type": "FLAT", "params": {}}


def _fit(text: str) -> str:
    """A VARCHAR holds at most 65,535 bytes: a longer passage keeps its first terms (none in the
    report; a passage is a paragraph, a table row or a page's worth of text)."""
    data = text.encode("utf-8")
    if len(data) <= MAX_VARCHAR:
        return text
    return data[:MAX_VARCHAR].decode("utf-8", "ignore").rsplit(" ", 1)[0]


# -- reading (search) -------------------------------------------------------------------------------
class MilvusBackend:
    """Dense and lexical top-k from the collections the manifest names, spread into per-unit and
    per-passage arrays (-1 / 0 where not returned), as search expects."""
    name = "milvus"
    pushdown = True

    def __init__(self, loaded: store.LoadedIndex, record: dict):
        self.uri = record.get("uri")
        cols = record.get("collections")
        if not (isinstance(self.uri, str) and isinstance(cols, dict)
                and all(isinstance(cols.get(k), str) for k in ("units", "passages"))):
            raise store.IndexLoadError(f"the index's Milvus record is incomplete; {FIX}")
        self.units_name, self.passages_name = cols["units"], cols["passages"]
        self.n_units, self.n_passages = len(loaded.units), len(loaded.passages)
        self.dense_k = min(int(record.get("dense_k") or DENSE_K), 16384)
        self.lexical_k = min(int(record.get("lexical_k") or LEXICAL_K), 16384)
        self.terms = Terms()
        self.dimension = int(loaded.manifest["model"]["dimension"])
        self.client = connect(self.uri)
        try:
            self._check(loaded.manifest["model"], record)
            for name in (self.units_name, self.passages_name):
                self.client.load_collection(name, timeout=CALL_TIMEOUT)
        except _engine_errors() as e:
            self.close()
            raise EngineError(f"the Milvus at {self.uri} cannot serve the index ({_message(e)}); "
                              "start it, or rebuild with `askreport ingest`") from None
        except store.IndexLoadError:
            self.close()
            raise

    def _check(self, model: dict, record: dict) -> None:
        c = self.client
        for name, kind, rows in ((self.units_name, "units", self.n_units),
                                 (self.passages_name, "passages", self.n_passages)):
            if not c.has_collection(name, timeout=CALL_TIMEOUT):
                raise EngineError(f"the Milvus at {self.uri} has no collection {name} (dropped, or another "
                                  f"database); {FIX}")
            info = c.describe_collection(name, timeout=CALL_TIMEOUT)
            try:
                meta = json.loads((info.get("properties") or {}).get(META_KEY) or "{}")
            except ValueError:
                meta = {}
            if meta.get("kind") != kind or meta.get("terms") != TERMS_FORMAT:
                raise EngineError(f"the Milvus collection {name} was not written by this version of askreport "
                                  f"as the index's {kind}; {FIX}")
            if meta.get("fingerprint") != model.get("fingerprint") or meta.get("dimension") != model.get("dimension"):
                raise EngineError(
                    f"the Milvus collection {name} was built with another model (fingerprint "
                    f"{str(meta.get('fingerprint'))[:12]}, dim {meta.get('dimension')}) than the index "
                    f"(fingerprint {str(model.get('fingerprint'))[:12]}, dim {model.get('dimension')}); {FIX}")
            if kind == "units":
                dims = [f.get("params", {}).get("dim") for f in info.get("fields", []) if f.get("name") == "vector"]
                if not dims or int(dims[0]) != model.get("dimension"):
                    raise EngineError(f"the Milvus collection {name} holds vectors of dimension "
                                      f"{dims[0] if dims else None}, the index {model.get('dimension')}; {FIX}")
            count = int(c.get_collection_stats(name, timeout=CALL_TIMEOUT).get("row_count", -1))
            if count != rows or meta.get("rows") != rows:
                raise EngineError(f"the Milvus collection {name} holds {count} rows, the index {rows}; {FIX}")

    def _search(self, name: str, data, field: str, metric: str, k: int, document_ids) -> list:
        kwargs = {}
        if document_ids is not None:
            # a literal list: Milvus Lite does not take filter_params templates ("document in {docs}")
            kwargs["filter"] = f"document in [{', '.join(json.dumps(d, ensure_ascii=False) for d in document_ids)}]"
        try:
            hits = self.client.search(name, data=[data], anns_field=field, limit=k, output_fields=["id"],
                                      search_params={"metric_type": metric}, timeout=CALL_TIMEOUT, **kwargs)
        except _engine_errors() as e:
            raise EngineError(f"the Milvus at {self.uri} failed during the search ({_message(e)}); "
                              "nothing was answered, try again when it is back") from None
        return list(hits[0]) if hits else []

    def dense_scores(self, vector: np.ndarray, document_ids: list[str] | None = None) -> np.ndarray:
        out = np.full(self.n_units, -1.0, dtype=np.float32)
        vector = np.asarray(vector, dtype=np.float32)
        if not np.all(np.isfinite(vector)) or self.n_units == 0 or document_ids == []:
            return out
        for hit in self._search(self.units_name, vector.tolist(), "vector", "IP",
                                min(self.dense_k, self.n_units), document_ids):
            i = int(hit["id"])
            if 0 <= i < self.n_units:
                out[i] = float(hit["distance"])
        return out

    def lexical_scores(self, text: str, document_ids: list[str] | None = None) -> np.ndarray:
        """BM25 over the passages' terms. Filtered, the unfiltered top-k is fetched too: search scales
        BM25 by the best score over every passage, as it does locally."""
        out = np.zeros(self.n_passages, dtype=np.float32)
        query = " ".join(dict.fromkeys(self.terms.tokenize([text])[0]))     # each term once, as locally
        if not query or self.n_passages == 0:
            return out
        k = min(self.lexical_k, self.n_passages)
        for docs in ([None] if document_ids is None else [None, document_ids] if document_ids else [None]):
            for hit in self._search(self.passages_name, query, "sparse", "BM25", k, docs):
                i = int(hit["id"])
                if 0 <= i < self.n_passages:
                    out[i] = abs(float(hit["distance"]))    # a server gives the score, Milvus Lite its negative
        return out

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass
