"""Tables: a table passage and its row passages drawn as an HTML table (in the reader, a card, an answer)."""
from __future__ import annotations

from markupsafe import Markup

from ingest.passage import Passage

from .common import dom_id, render


def table_columns(table: Passage) -> tuple[str, list[str]]:
    """(caption, column headings) of a table passage, from its fields."""
    return table.caption or table.text, list(table.columns or [])


def row_cells(row: Passage, columns: list[str]) -> tuple[list[str], list[str]] | None:
    """(headings, cells) of a table-row passage under its table's column headings: its label, then its
    values. The first heading is the one over the row labels, or blank where the table has none. None when
    the row's cells do not line up with the headings (a row with more or fewer figures)."""
    if not row.cells:
        return None
    headings, values = [h for h, _ in row.cells], [v for _, v in row.cells]
    label = row.row_label or ""
    if headings == columns:
        return ["", *columns], [label, *values]
    if headings == columns[1:]:
        return columns, [label, *values]
    return None


def table_html(table: Passage, rows: list[Passage], marked: str | None = None, ids: bool = False) -> Markup:
    """The table with the given rows (all of them, or one), `marked` the cited row; `ids`: DOM ids for the reader."""
    caption, columns = table_columns(table)
    parsed = [(r, row_cells(r, columns)) for r in rows]
    headings = next((cells[0] for _, cells in parsed if cells), ["", *columns])
    return render("table.html", table=table, caption=caption, headings=headings, marked=marked,
                  ids=ids, dom_id=dom_id,
                  rows=[{"passage": r, "cells": cells[1] if cells else None} for r, cells in parsed])
