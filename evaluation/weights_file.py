"""search/weights.toml, where fitted fusion weights are recorded: one table per model preset for text
documents, and its `paged` subtable for paged ones (PDF, Word). evaluation/fit.py writes it;
search.searcher.fusion_weights reads it."""
from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "search" / "weights.toml"
HEADER = """\
# Fusion weights per model preset: search.searcher.Settings reads the table of the index's preset,
# and its `paged` subtable for passages of paged documents (PDF, Word); the hand-set values in
# search/searcher.py (HAND_SET) fill in anything missing. Written by `askreport eval FILE… --cv K
# --save` (evaluation/fit.py); only the five w_*/table_bm25 keys are read, the rest records where
# they came from.

"""


def write_weights(preset: str, kind: str, entry: dict, path: Path = WEIGHTS_FILE) -> None:
    """Replace one preset's table (kind "text") or its paged subtable, keeping everything else."""
    tables = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    table = tables.setdefault(preset, {})
    if kind == "paged":
        table["paged"] = entry
    else:
        tables[preset] = {**entry, **({"paged": table["paged"]} if "paged" in table else {})}
    ordered = {name: tables[name] for name in sorted(tables, key=lambda n: (n != "fast", n))}
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(HEADER + tomli_w.dumps(ordered), encoding="utf-8")
    tmp.replace(path)
