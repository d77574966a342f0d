"""Pieces of the app's layout (gradio components) that are not the app's logic."""
from __future__ import annotations

import gradio as gr

from .filters import LibraryFilters


def library_filters(f: LibraryFilters, part_and_kind) -> tuple:
    """The Ask tab's filters in a library (`f`): ((part, kind), the library's filters in the order
    App.ui_search takes them). Documents: a searchable list (councils' inspections by council, newest
    first; one choice for all of a council's inspections), and the toggle that groups results by document;
    then part and kind (made by `part_and_kind`), type, publisher, overall grade and years, each shown when
    it has a choice to make."""
    with gr.Row(elem_id="lib-filters", equal_height=True):
        documents = gr.Dropdown(f.doc_choices, value=[], multiselect=True, filterable=True, label="Documents",
                                elem_id="doc-filter", scale=4, min_width=220,
                                info="All documents unless you choose some: type a council or part of a title")
        group = gr.Checkbox(False, label="Group by document", elem_id="group", scale=1, min_width=160,
                            info="One card per document")
    years = len(f.year_choices) > 2
    specs = [("doc-type", "Type", f.type_choices, "all", len(f.type_choices) > 2),
             ("publisher", "Publisher", f.publisher_choices, "all", f.publisher_filter),
             ("grade", "Overall grade", f.grade_choices, "all", len(f.grade_choices) > 1),
             ("year-from", "From year", f.year_choices, "any", years), ("year-to", "To year", f.year_choices, "any", years)]
    with gr.Row(elem_id="filters", equal_height=True, elem_classes="lib-row"):
        first = part_and_kind()
        others = [gr.Dropdown(choices, value=value, label=label, elem_id=eid, filterable=False, min_width=130,
                              visible=shown) for eid, label, choices, value, shown in specs]
    return first, [documents, *others, group]
