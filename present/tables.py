"""Tables: a table passage and its row passages drawn as an HTML table (in the reader, a card, an answer)."""
from __future__ import annotations

from markupsafe import Markup

from ingest.passage import Passage

from .common import dom_id, render


def table_columns(table: Passage) -> tuple[str, list[str]]:
    """(caption, column headings) of a table passage: 'Caption · columns: A | B | C'."""
    caption, sep, cols = table.text.partition(" · columns: ")
    return caption.strip(), [c.strip() for c in cols.split(" | ")] if sep else []


def row_cells(row: Passage, caption: str, columns: list[str]) -> tuple[list[str], list[str]] | None:
    """(headings, cells) of a table-row passage, or None when its text does not parse."""
    rest = row.text[len(caption) + 3:] if row.text.startswith(caption + " · ") else row.text
    found = []
    pos = 0
    for col in columns:
        i = rest.find(f"{col}: ", pos)
        if i >= 0:
            found.append((col, i))
            pos = i + len(col) + 2
    if not found:
        return None
    values = {}
    for n, (col, i) in enumerate(found):
        end = found[n + 1][1] if n + 1 < len(found) else len(rest)
        values[col] = rest[i + len(col) + 2:end].strip().rstrip(";·").strip()
    label = rest[:found[0][1]].strip().rstrip("·").strip()
    missing = [c for c in columns if c not in values]
    if not label and not missing:
        return columns, [values[c] for c in columns]
    if label and not missing:
        return ["", *columns], [label, *(values[c] for c in columns)]
    if label and missing == columns[:1]:
        return columns, [label, *(values[c] for c in columns[1:])]
    return None


def table_html(table: Passage, rows: list[Passage], marked: str | None = None, ids: bool = False) -> Markup:
    """The table with the given rows (all of them, or one), `marked` the cited row; `ids`: DOM ids for the reader."""
    caption, columns = table_columns(table)
    parsed = [(r, row_cells(r, caption, columns)) for r in rows]
    headings = next((cells[0] for _, cells in parsed if cells), ["", *columns])
    return render("table.html", table=table, caption=caption, headings=headings, marked=marked,
                  ids=ids, dom_id=dom_id,
                  rows=[{"passage": r, "cells": cells[1] if cells else None} for r, cells in parsed])
