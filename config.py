"""Where askreport's state lives and how the process is set up; the one place for both.

Importing this module sets the offline environment (no Hugging Face hub, no telemetry, no Gradio
analytics) before sentence-transformers, transformers or gradio read it. Every entry point (cli.py,
app.py, the tests) imports it first.

    corpus     the documents and their catalogue     --corpus     $ASKREPORT_CORPUS     ./corpus
    index      the built index (generations)          --index-dir  $ASKREPORT_INDEX_DIR  ./data/index
    cache      unpacked model weights                              $ASKREPORT_CACHE     ~/.cache/askreport
"""
from __future__ import annotations

import os
from pathlib import Path

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TRANSFORMERS_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
os.environ.update(OFFLINE)      # forced, not defaults: a stray HF_HUB_OFFLINE=0 must not reach the network
# NumPy's BLAS on one thread: search's one matrix-vector product over every unit took 21 ms with
# OpenBLAS's default threads on 2 busy cores and 0.17 ms on one (4,135 units; measured). Torch keeps
# its own thread policy (index.models). Read when NumPy loads: import this module first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent


def corpus_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("ASKREPORT_CORPUS") or ROOT / "corpus")


def index_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("ASKREPORT_INDEX_DIR") or ROOT / "data" / "index")


def cache_dir() -> Path:
    return Path(os.environ.get("ASKREPORT_CACHE") or Path.home() / ".cache" / "askreport")


def queue_max() -> int:
    """How many app requests may wait ($ASKREPORT_QUEUE_MAX, default 256); beyond it: "queue full"."""
    value = os.environ.get("ASKREPORT_QUEUE_MAX", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 256


def judge_wanted() -> bool:
    """Whether the app reads its answers with the local judge when it is installed ($ASKREPORT_JUDGE:
    "off" or "0" turns it off; default on)."""
    return os.environ.get("ASKREPORT_JUDGE", "on").strip().lower() not in ("off", "0", "no", "false")
