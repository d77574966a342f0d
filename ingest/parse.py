"""Parse one document of the catalogue into passages with exact source spans."""
from __future__ import annotations

import bisect
from pathlib import Path

from .blocks import mask_artefacts, read_blocks
from .catalog import Outline, load_outline
from .passage import Document, Passage
from .pdf import Extracted
from .sentences import sentence_spans, train_tokenizer
from .structure import StructureBuilder


def parse_text(document: Document, text: str, source: str, outline: Outline | None = None,
               *, export_quirks: bool = True) -> list[Passage]:
    """Passages of `text` (the file's content exactly as read), in document order."""
    outline = outline or Outline()
    masked = mask_artefacts(text)
    tokenizer = train_tokenizer(masked)
    builder = StructureBuilder(document.id, source, masked,
                               lambda s, e: sentence_spans(tokenizer, masked, s, e), outline.kinds,
                               export_quirks=export_quirks)
    passages = builder.build(read_blocks(text, masked, outline.headings))
    part_of = {heading: part for part, headings in outline.parts.items() for heading in headings}
    for p in passages:
        p.part = part_of.get(p.section[0] if p.section else "")
    return passages


def parse_document(corpus_dir: Path, document: Document, text: str) -> list[Passage]:
    return parse_text(document, text, f"{corpus_dir.name}/{document.file}", load_outline(corpus_dir, document))


def parse_paged(document: Document, extracted: Extracted, source: str) -> list[Passage]:
    """Passages of a PDF's (or Word file's) cleaned text, each with its physical page(s) and the
    printed label of its first page. Footnotes are linked to the passages that cite them."""
    passages = parse_text(document, extracted.text, source, export_quirks=False)
    for p in passages:
        p.page, p.pages, p.page_label = extracted.locate(p.start_char, p.end_char)
    if extracted.footnote_refs:
        starts = [p.start_char for p in passages]
        notes = {p.start_char: p for p in passages if p.kind == "footnote"}
        for ref, note_at in extracted.footnote_refs:
            note = notes.get(note_at)
            k = bisect.bisect_right(starts, ref) - 1
            if note is None or k < 0:
                continue
            citing = passages[k]
            if citing is note or not (citing.start_char <= ref <= citing.end_char):
                continue
            if note.passage_id not in citing.footnotes:
                citing.footnotes.append(note.passage_id)
            if citing.passage_id not in note.cited_by:
                note.cited_by.append(citing.passage_id)
    return passages
