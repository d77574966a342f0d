"""`askreport ingest`: documents -> passages -> units -> vectors -> a committed index.

Two ways documents come in, into the same index:
  - the corpus folder and its catalog.toml (`askreport ingest`): the curated documents, each with
    an optional outline; a document that cannot be read stops the build unless skip_invalid;
  - files and folders (`askreport ingest PATH…`): PDFs, Word and text files, described by the
    CSV catalogues beside them (ingest.library); each bad file is refused with its reason and
    the rest are indexed.
Documents already indexed stay unless replaced (same id) or removed. Only new or changed text
is embedded: vectors are reused from the committed index by the hash of the embedded text, and
vectors embedded before an interruption are kept in INDEX_DIR/embedding-cache/ until the next
commit, so an ingest killed at any point resumes where it stopped.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.library import ParsedDocument, Refusal, catalog_facts, discover, parse_file
from ingest.passage import Document, Passage
from ingest.pipeline import ingest_corpus
from ingest.reader import DocumentError
from . import store
from .models import count_tokens, encode_passages, load_model
from .units import PAGED_WINDOW_TOKENS, Unit, build_units

EMBED_CHUNK = 2048          # units embedded, then saved to the cache, at a time


class IngestError(RuntimeError):
    pass


@dataclass
class BuildSummary:
    generation: str
    documents: int
    passages: int
    units: int
    embedded: int          # units embedded now; the rest were reused from the previous index
    skipped: list[tuple[str, str]]
    seconds: float
    added: list[str] = field(default_factory=list)      # ids of documents (re)ingested now
    removed: list[str] = field(default_factory=list)
    from_files: bool = False                             # skipped names files (their reasons start with the name)


def _load_previous(index_dir: Path, strict: bool) -> store.LoadedIndex | None:
    if not store.exists(index_dir):
        return None
    try:
        return store.load_index(index_dir)
    except store.IndexLoadError as e:
        if strict:     # adding to a library must not silently drop what it held
            raise IngestError(f"the index in {index_dir} cannot be read ({e}); nothing was changed. "
                              f"Move it away and ingest everything again") from None
        return None


class _Cache:
    """Vectors by the sha256 of their text: from the committed index (same model only) and from
    chunks embedded by an ingest that did not finish."""

    def __init__(self, index_dir: Path, old: store.LoadedIndex | None, fingerprint: str):
        self.dir = index_dir / "embedding-cache" / fingerprint[:16]
        self.vectors: dict[str, np.ndarray] = {}
        if old is not None and old.manifest["model"].get("fingerprint") == fingerprint:
            self.vectors.update((Unit(**u).key, v) for u, v in zip(old.units, old.vectors))
        for keys_file in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vecs = np.load(keys_file.with_suffix(".npy"), allow_pickle=False)
                if len(keys) == len(vecs):
                    self.vectors.update(zip(keys, vecs))
            except (OSError, ValueError):
                continue       # a chunk cut short by the interruption: embedded again

    def save(self, keys: list[str], vectors: np.ndarray) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.monotonic_ns()}"
        with open(self.dir / f"{name}.npy", "wb") as f:
            np.lib.format.write_array(f, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
        (self.dir / f"{name}.json").write_text(json.dumps(keys), encoding="utf-8")   # written last: marks it whole
        self.vectors.update(zip(keys, vectors))

    def clear(self) -> None:
        shutil.rmtree(self.dir.parent, ignore_errors=True)


def _read_paths(paths: list[Path], known_sha: dict[str, str], progress: bool
                ) -> tuple[list[ParsedDocument], list[Refusal]]:
    """Parse every file under `paths`; refuse duplicates (same bytes as another document) and
    unreadable files, one line each, and go on with the rest."""
    found = discover(paths)
    parsed, refused = [], list(found.refused)
    seen = dict(known_sha)              # sha256 -> document id
    # Of byte-identical copies, the one the catalogues describe most fully is indexed (then path order).
    described = {}
    for f in found.files:
        facts = catalog_facts(f)
        described[f.doc_id] = len(facts) + len(facts.get("grades", {}))
    found.files.sort(key=lambda f: -described[f.doc_id])
    best = {}
    for f in found.files:
        best.setdefault(f.sha256, f.doc_id)
    found.files.sort(key=lambda f: (best[f.sha256] != f.doc_id, f.rel))
    bar = _bar(len(found.files), "reading", progress)
    for f in found.files:
        bar.set_postfix_str(f.rel[-48:], refresh=False)
        bar.update(1)
        other = seen.get(f.sha256)
        if other is not None and other != f.doc_id:
            refused.append(Refusal(str(f.path), f"{f.rel}: the same file as {other}; skipped", "duplicate"))
            continue
        try:
            doc = parse_file(f)
        except DocumentError as e:
            refused.append(Refusal(str(f.path), str(e), getattr(e, "status", "refused")))
            continue
        except FileNotFoundError:
            refused.append(Refusal(str(f.path), f"{f.rel}: the file disappeared while it was being read", "missing"))
            continue
        except OSError as e:
            refused.append(Refusal(str(f.path), f"{f.rel}: cannot be read ({e.strerror})", "unreadable"))
            continue
        seen[f.sha256] = f.doc_id
        parsed.append(doc)
    bar.close()
    return parsed, refused


def _bar(total: int, desc: str, progress: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="doc", disable=not progress or total < 2, file=sys.stderr,
                dynamic_ncols=True)


def _from_corpus(corpus_dir: Path, skip_invalid: bool) -> tuple[list[ParsedDocument], list[Refusal]]:
    report = ingest_corpus(corpus_dir)
    if report.skipped and not skip_invalid:
        raise IngestError("; ".join(reason for _, reason in report.skipped)
                          + " (nothing was changed; fix it or use --skip-invalid)")
    if not report.documents:
        raise IngestError("no document could be ingested; nothing was changed")
    parsed = [ParsedDocument(d.document, d.text, d.passages, d.sha256, f"{corpus_dir}/{d.document.file}", d.encoding)
              for d in report.documents]
    return parsed, [Refusal(doc_id, reason) for doc_id, reason in report.skipped]


def build(corpus_dir: Path | None, index_dir: Path, preset: str | None = None, index_type: str = "flat-ip",
          skip_invalid: bool = False, progress: bool = True, paths: list[Path] | None = None,
          remove: list[str] | None = None, sentences: bool | None = None, engine: str | None = None,
          milvus_uri: str | None = None) -> BuildSummary:
    """Add or update documents (from `paths`, else the corpus folder) and remove `remove`; commit.
    sentences: embed every sentence too (default: for text documents, not for paged ones).
    engine: where retrieval runs, "local" or "milvus" at milvus_uri (default: as the index was built)."""
    started = time.perf_counter()
    with store.ingest_lock(index_dir):
        old = _load_previous(index_dir, strict=bool(paths or remove))
        if preset is None:
            preset = old.manifest["model"]["preset"] if old is not None else "fast"
        old_docs = {d["id"]: d for d in old.manifest.get("documents", [])} if old is not None else {}
        unknown = [r for r in remove or [] if r not in old_docs]
        if unknown:
            raise IngestError(f"no document {', '.join(map(repr, unknown))} in the index; "
                              "see `askreport documents`; nothing was changed")
        if remove and not paths:
            new, refused = [], []
        elif paths:
            keep_sha = {d["sha256"]: i for i, d in old_docs.items() if i not in (remove or [])}
            new, refused = _read_paths(paths, keep_sha, progress)
        else:
            new, refused = _from_corpus(corpus_dir, skip_invalid)
        replaced = {d.document.id for d in new} | set(remove or [])
        kept = [i for i in old_docs if i not in replaced] if old is not None else []
        if corpus_dir is not None and not paths and not remove and old is not None:
            catalogued = {d.document.id for d in new}
            kept = [i for i in kept if old_docs[i].get("origin") != "corpus" or i in catalogued]
        if not new and not kept:
            raise IngestError("no document could be ingested; nothing was changed"
                              + (": " + "; ".join(r.reason for r in refused) if refused else ""))

        model, info = load_model(preset)
        if old is not None and old.manifest["model"]["preset"] != preset and kept:
            raise IngestError(f"the index was built with the {old.manifest['model']['preset']!r} model; "
                              f"adding documents with {preset!r} would mix two models. Ingest everything "
                              f"into a new --index-dir instead")
        documents, passages, units, texts, doc_rows, kept_rows = _keep(old, kept, old_docs)
        limit = info.max_seq_length - 2                 # room for [CLS] and [SEP]
        for d in new:
            with_sentences = sentences if sentences is not None else d.document.pages is None
            units += build_units(d.passages, lambda text: count_tokens(model, text),
                                 limit if with_sentences else min(limit, PAGED_WINDOW_TOKENS),
                                 sentences=with_sentences, first=len(passages))
            passages += d.passages
            documents.append(d.document)
            texts[d.document.id] = d.text
            doc_rows.append({"id": d.document.id, "file": d.document.file, "path": d.path, "sha256": d.sha256,
                             "encoding": d.encoding, "characters": len(d.text), "passages": len(d.passages),
                             "origin": "corpus" if paths is None else "files", "sentences": with_sentences})
        vectors, embedded = _vectors(index_dir, old, info, model, units, kept_rows, progress)
        manifest = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build_seconds": round(time.perf_counter() - started, 1),
            "model": {"preset": info.name, "model_id": info.model_id, "dimension": info.dimension,
                      "max_seq_length": info.max_seq_length, "fingerprint": info.fingerprint,
                      "normalised": True},
            "index_type": index_type,
            "documents": doc_rows,
            "skipped": _refusals(old, refused, {d.path for d in new}, {r["path"] for r in doc_rows if "path" in r}),
            "counts": {"passages": len(passages), "units": len(units), "vectors": len(units)},
        }
        push = _push(old, engine, milvus_uri, index_dir, manifest, passages, units, vectors)
        try:
            gen = store.write_index(index_dir, manifest, documents, passages, units, vectors, texts)
        except BaseException as e:
            if push is not None:
                push.discard(index_dir)  # the engine's new collections go; its aliases still serve the old ones
            if not (isinstance(e, OSError) and store.disk_full(e)):
                raise
            raise IngestError(f"disk full while writing {e.filename or index_dir} ({e.strerror}); free some "
                              "space and run `askreport ingest` again (the index being served is unchanged)") from None
        if push is not None:
            push.publish()              # committed: the engine's aliases switch to the new collections
        _Cache(index_dir, None, info.fingerprint).clear()
    return BuildSummary(gen, len(documents), len(passages), len(units), embedded,
                        [(r["path"], r["reason"]) for r in manifest["skipped"] if r.get("new")],
                        time.perf_counter() - started, [d.document.id for d in new], list(remove or []),
                        bool(paths))


def _push(old, engine: str | None, milvus_uri: str | None, index_dir: Path, manifest: dict,
          passages: list, units: list, vectors: np.ndarray):
    """With the Milvus store (asked for, or the one the index was built with): write this generation's
    retrieval data to new collections before the commit; manifest["store"] records them. None: local."""
    from .backends import STORES, store_of
    previous = store_of(old.manifest) if old is not None else {"store": "local"}
    kind = engine or ("milvus" if milvus_uri else previous.get("store", "local"))
    if kind not in STORES:
        raise IngestError(f"unknown store {kind!r}; choose one of {', '.join(STORES)}; nothing was changed")
    if kind == "local":
        return None
    from .milvus import Push
    push = Push(milvus_uri or previous.get("uri") or str(index_dir / "milvus.db"), previous)
    try:
        manifest["store"] = push.write(manifest, passages, units, vectors)
    except BaseException:
        push.discard()
        raise
    return push


def _keep(old, kept: list[str], old_docs: dict):
    """The kept documents, their passages and units (renumbered; dicts, as stored), texts, manifest
    rows, and which rows of the old vectors go with the kept units."""
    if old is None or not kept:
        return [], [], [], {}, [], []
    keep = set(kept)
    remap, passages = {}, []
    for n, p in enumerate(old.passages):
        if p.document in keep:
            remap[n] = len(passages)
            passages.append(p)
    units = [dict(u, passage=remap[u["passage"]]) for u in old.units if u["passage"] in remap]
    unit_rows = [n for n, u in enumerate(old.units) if u["passage"] in remap]
    documents = [old.documents[i] for i in kept]
    texts = {i: old.texts[i] for i in kept}
    return documents, passages, units, texts, [old_docs[i] for i in kept], unit_rows


def _vectors(index_dir: Path, old, info, model, units: list, kept_rows: list[int], progress: bool
             ) -> tuple[np.ndarray, int]:
    vectors = np.zeros((len(units), info.dimension), dtype=np.float32)
    n_kept = len(kept_rows)
    if n_kept:
        vectors[:n_kept] = old.vectors[kept_rows]
    new_units = [u if isinstance(u, Unit) else Unit(**u) for u in units[n_kept:]]
    units[n_kept:] = [u.to_dict() for u in new_units]
    cache = _Cache(index_dir, old, info.fingerprint)
    todo = []
    for j, u in enumerate(new_units, n_kept):
        v = cache.vectors.get(u.key)
        if v is not None:
            vectors[j] = v
        else:
            todo.append(j)
    if todo:
        texts = {j: units[j]["text"] for j in todo}
        order = sorted(todo, key=lambda j: len(texts[j]))      # similar lengths batch with little padding
        from tqdm import tqdm
        bar = tqdm(total=len(order), desc="embedding", unit="unit", disable=not progress, file=sys.stderr,
                   dynamic_ncols=True)
        for start in range(0, len(order), EMBED_CHUNK):
            chunk = order[start:start + EMBED_CHUNK]
            vecs = encode_passages(model, [texts[j] for j in chunk])
            vectors[chunk] = vecs
            cache.save([Unit(**units[j]).key for j in chunk], np.asarray(vecs, dtype=np.float32))
            bar.update(len(chunk))
        bar.close()
    bad = ~np.isclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)     # zero, NaN or unnormalised
    if bad.any():
        raise IngestError(f"the model returned {int(bad.sum())} zero or non-unit vector(s), e.g. for "
                          f"{units[int(np.argmax(bad))]['text'][:60]!r}; nothing was changed")
    return vectors, len(todo)


def _refusals(old, refused: list[Refusal], attempted: set[str], indexed: set[str]) -> list[dict]:
    """Refusals of this ingest, plus earlier ones for files neither retried nor indexed since."""
    now = {r.path for r in refused}
    earlier = [dict(r, new=False) for r in (old.manifest.get("skipped", []) if old is not None else [])
               if isinstance(r, dict) and r.get("path") not in now | attempted | indexed]
    return earlier + [{"path": r.path, "reason": r.reason, "status": r.status, "new": True} for r in refused]
