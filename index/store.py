"""The index on disk: a folder of plain files, committed atomically, checked on load.

    INDEX_DIR/
      CURRENT                      {"generation": ..., "manifest_sha256": ...}  (the commit point)
      generations/<id>/manifest.json  format, model, corpus hashes, counts, sha256 of every file
                      /documents.json  catalogue entries of the ingested documents
                      /passages.jsonl  one passage per line
                      /units.jsonl     what was embedded (passage, window, sentence) and where
                      /vectors.npy     float32 [units, dimension], L2-normalised
                      /texts.jsonl     {"id", "text"}: each document's text as ingested; every offset points here
      .lock                         held by the one ingest allowed at a time

A generation is written in full, fsynced, then CURRENT is replaced with os.replace: a reader
sees the old index or the new one, never a mix. No pickle anywhere (np.load allow_pickle=False).
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.passage import Document, Passage
from ingest.reader import sha256_file

FORMAT_VERSION = 2
DATA_FILES = ("documents.json", "passages.jsonl", "units.jsonl", "vectors.npy", "texts.jsonl")
UNIT_KEYS = ("passage", "kind", "start_char", "end_char", "text")


class IndexLoadError(RuntimeError):
    """The index cannot be served; the message names the problem and the fix."""


class IngestLockedError(RuntimeError):
    pass


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    passages: list[Passage]
    units: list[dict]
    vectors: np.ndarray
    texts: dict[str, str]          # document id -> its text as ingested (what every offset points into)


@contextmanager
def ingest_lock(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestLockedError(f"another ingest is writing {index_dir}; try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_index(index_dir: Path, manifest: dict, documents: list[Document], passages: list[Passage],
                units: list[dict], vectors: np.ndarray, texts: dict[str, str]) -> str:
    """Write a new generation and commit it. Returns its id. Call under ingest_lock."""
    gens = index_dir / "generations"
    gens.mkdir(parents=True, exist_ok=True)
    gen_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    tmp = gens / f".tmp-{gen_id}"
    tmp.mkdir()
    try:
        _write_bytes(tmp / "documents.json", json.dumps([d.__dict__ for d in documents], ensure_ascii=False,
                                                        indent=1).encode("utf-8"))
        _write_bytes(tmp / "passages.jsonl", "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n"
                                                     for p in passages).encode("utf-8"))
        _write_bytes(tmp / "units.jsonl", "".join(json.dumps(u, ensure_ascii=False) + "\n"
                                                  for u in units).encode("utf-8"))
        _write_bytes(tmp / "texts.jsonl", "".join(json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n"
                                                  for k, v in texts.items()).encode("utf-8"))
        with open(tmp / "vectors.npy", "wb") as f:
            np.save(f, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        manifest = dict(manifest, format_version=FORMAT_VERSION, generation=gen_id,
                        files={name: sha256_file(tmp / name) for name in DATA_FILES})
        _write_bytes(tmp / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"))
        _fsync_dir(tmp)
        os.replace(tmp, gens / gen_id)
        _fsync_dir(gens)
        pointer = {"generation": gen_id, "manifest_sha256": sha256_file(gens / gen_id / "manifest.json")}
        _write_bytes(index_dir / "CURRENT.tmp", json.dumps(pointer).encode("utf-8"))
        os.replace(index_dir / "CURRENT.tmp", index_dir / "CURRENT")
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(gens / gen_id, ignore_errors=True) if not _is_current(index_dir, gen_id) else None
        raise
    clean_leftovers(index_dir)
    return gen_id


def _is_current(index_dir: Path, gen_id: str) -> bool:
    try:
        return json.loads((index_dir / "CURRENT").read_text())["generation"] == gen_id
    except (OSError, ValueError, KeyError, TypeError):
        return False


def clean_leftovers(index_dir: Path) -> None:
    """Remove temporary folders and generations other than the current one."""
    current = _current_pointer(index_dir).get("generation") if (index_dir / "CURRENT").exists() else None
    gens = index_dir / "generations"
    for child in gens.iterdir() if gens.is_dir() else []:
        if child.name != current:
            shutil.rmtree(child, ignore_errors=True)
    (index_dir / "CURRENT.tmp").unlink(missing_ok=True)


def _current_pointer(index_dir: Path) -> dict:
    try:
        pointer = json.loads((index_dir / "CURRENT").read_text(encoding="utf-8"))
        if not isinstance(pointer, dict) or not isinstance(pointer.get("generation"), str):
            raise ValueError
        return pointer
    except FileNotFoundError:
        raise IndexLoadError(f"no index in {index_dir}; run `askreport ingest`") from None
    except (OSError, ValueError, UnicodeDecodeError):
        raise IndexLoadError(f"{index_dir}/CURRENT is damaged; run `askreport ingest` to rebuild") from None


def exists(index_dir: Path) -> bool:
    return (index_dir / "CURRENT").is_file()


def load_index(index_dir: Path) -> LoadedIndex:
    """Load the committed generation, refusing anything that does not check out."""
    pointer = _current_pointer(index_dir)
    gen = index_dir / "generations" / Path(pointer["generation"]).name
    fix = "run `askreport ingest` to rebuild it"
    if not (gen / "manifest.json").is_file():
        raise IndexLoadError(f"index generation {gen.name} is missing; {fix}")
    if sha256_file(gen / "manifest.json") != pointer.get("manifest_sha256"):
        raise IndexLoadError(f"index manifest does not match its checksum (damaged?); {fix}")
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except ValueError:
        raise IndexLoadError(f"index manifest cannot be read; {fix}") from None
    sections = ("files", "model", "counts")
    if not (isinstance(manifest, dict) and all(isinstance(manifest.get(k), dict) for k in sections)):
        raise IndexLoadError(f"index manifest is incomplete; {fix}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}; {fix}")
    for name in DATA_FILES:
        if not (gen / name).is_file() or sha256_file(gen / name) != manifest["files"].get(name):
            raise IndexLoadError(f"index file {name} is missing or damaged (checksum mismatch); {fix}")
    try:
        documents = [Document(**d) for d in json.loads((gen / "documents.json").read_text(encoding="utf-8"))]
        passages = [Passage.from_dict(json.loads(line)) for line in _lines(gen / "passages.jsonl")]
        units = [json.loads(line) for line in _lines(gen / "units.jsonl")]
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
        texts = {t["id"]: t["text"] for t in map(json.loads, _lines(gen / "texts.jsonl"))}
        _check_consistent(manifest, documents, passages, units, vectors, fix)
        if not {p.document for p in passages} <= texts.keys():
            raise IndexLoadError(f"the text of a document is missing from the index; {fix}")
    except (ValueError, TypeError, KeyError, OSError, EOFError) as e:
        raise IndexLoadError(f"index files cannot be read ({e.__class__.__name__}); {fix}") from None
    return LoadedIndex(gen, manifest, {d.id: d for d in documents}, passages, units, vectors, texts)


def _lines(path: Path):
    """The file's non-blank lines, one at a time (a library's passages are ~100 MB: never all in memory
    as text at once). Split on "\n" only: JSON leaves U+2028, U+0085 and the like unescaped, and
    splitlines() would cut there; newline="\n" turns off the translation of "\r" too."""
    with open(path, encoding="utf-8", newline="\n") as f:
        for line in f:
            if line.strip():
                yield line


def _check_consistent(manifest: dict, documents, passages, units, vectors: np.ndarray, fix: str) -> None:
    counts, model = manifest.get("counts", {}), manifest.get("model", {})
    if model.get("normalised") is not True:
        raise IndexLoadError(f"index vectors were built with normalised={model.get('normalised')!r}; "
                             f"search needs normalised=True (cosine similarity); {fix}")
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise IndexLoadError(f"vectors.npy is not a float32 matrix; {fix}")
    if not (counts.get("passages") == len(passages) and counts.get("units") == len(units) == len(vectors)):
        raise IndexLoadError(f"index counts disagree: {len(passages)} passages, {len(units)} units, "
                             f"{len(vectors)} vectors, manifest says {counts}; {fix}")
    if vectors.shape[1] != model.get("dimension"):
        raise IndexLoadError(f"vectors have dimension {vectors.shape[1]}, manifest says {model.get('dimension')}; {fix}")
    for u in units:
        if not (isinstance(u, dict) and all(k in u for k in UNIT_KEYS) and type(u["passage"]) is int
                and 0 <= u["passage"] < len(passages)):
            raise IndexLoadError(f"a unit is malformed or points at a passage that does not exist; {fix}")
        p = passages[u["passage"]]
        if not (isinstance(u["start_char"], int) and isinstance(u["end_char"], int)
                and p.start_char <= u["start_char"] <= u["end_char"] <= p.end_char):
            raise IndexLoadError(f"a unit lies outside its passage {p.passage_id}; {fix}")
    if len({p.passage_id for p in passages}) != len(passages) or not all(p.passage_id for p in passages):
        raise IndexLoadError(f"passage ids are missing or not unique; {fix}")
    listed = {d["id"]: d["passages"] for d in manifest.get("documents", [])}
    if Counter(p.document for p in passages) != listed or not listed.keys() <= {d.id for d in documents}:
        raise IndexLoadError(f"passages per document differ from the manifest, or name a document "
                             f"documents.json lacks; {fix}")
    if len(vectors) and not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
        raise IndexLoadError(f"vectors are not normalised as the manifest says; {fix}")


def disk_full(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
