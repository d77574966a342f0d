"""`askreport ingest`: catalogue -> passages -> units -> vectors -> a committed index."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.pipeline import ingest_corpus
from . import store
from .models import count_tokens, encode_passages, load_model
from .units import build_units


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


def _previous_vectors(index_dir: Path, fingerprint: str) -> dict[str, np.ndarray]:
    """Vectors of the committed index keyed by unit text hash, if made by the same model."""
    try:
        old = store.load_index(index_dir)
    except store.IndexLoadError:
        return {}
    if old.manifest["model"].get("fingerprint") != fingerprint:
        return {}
    from .units import Unit
    return {Unit(**u).key: v for u, v in zip(old.units, old.vectors)}


def build(corpus_dir: Path, index_dir: Path, preset: str = "fast", index_type: str = "flat-ip",
          skip_invalid: bool = False, progress: bool = True) -> BuildSummary:
    started = time.perf_counter()
    with store.ingest_lock(index_dir):
        report = ingest_corpus(corpus_dir)
        if report.skipped and not skip_invalid:
            raise IngestError("; ".join(reason for _, reason in report.skipped)
                              + " (nothing was changed; fix it or use --skip-invalid)")
        if not report.documents:
            raise IngestError("no document could be ingested; nothing was changed")
        passages = report.passages
        model, info = load_model(preset)
        limit = info.max_seq_length - 2                 # room for [CLS] and [SEP]
        units = build_units(passages, lambda text: count_tokens(model, text), limit)
        cached = _previous_vectors(index_dir, info.fingerprint)
        todo = [i for i, u in enumerate(units) if u.key not in cached]
        vectors = np.zeros((len(units), info.dimension), dtype=np.float32)
        for i, u in enumerate(units):
            if u.key in cached:
                vectors[i] = cached[u.key]
        if todo:
            vectors[todo] = encode_passages(model, [units[i].text for i in todo], show_progress=progress)
        bad = ~np.isclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)     # zero, NaN or unnormalised
        if bad.any():
            raise IngestError(f"the model returned {int(bad.sum())} zero or non-unit vector(s), e.g. for "
                              f"{units[int(np.argmax(bad))].text[:60]!r}; nothing was changed")
        manifest = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"preset": info.name, "model_id": info.model_id, "dimension": info.dimension,
                      "max_seq_length": info.max_seq_length, "fingerprint": info.fingerprint,
                      "normalised": True},
            "index_type": index_type,
            "documents": [{"id": d.document.id, "file": d.document.file, "sha256": d.sha256,
                           "encoding": d.encoding, "characters": d.characters, "passages": len(d.passages)}
                          for d in report.documents],
            "skipped": [{"id": i, "reason": r} for i, r in report.skipped],
            "counts": {"passages": len(passages), "units": len(units), "vectors": len(units)},
        }
        try:
            gen = store.write_index(index_dir, manifest, [d.document for d in report.documents], passages,
                                    [u.to_dict() for u in units], vectors, {d.document.id: d.text for d in report.documents})
        except OSError as e:
            if not store.disk_full(e):
                raise
            raise IngestError(f"disk full while writing {e.filename or index_dir} ({e.strerror}); free some "
                              "space and run `askreport ingest` again (the index being served is unchanged)") from None
    return BuildSummary(gen, len(report.documents), len(passages), len(units), len(todo), report.skipped,
                        time.perf_counter() - started)
