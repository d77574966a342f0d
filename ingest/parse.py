"""Parse one document of the catalogue into passages with exact source spans."""
from __future__ import annotations

from pathlib import Path

from .blocks import mask_artefacts, read_blocks
from .catalog import Outline, load_outline
from .passage import Document, Passage
from .sentences import sentence_spans, train_tokenizer
from .structure import StructureBuilder


def parse_text(document: Document, text: str, source: str, outline: Outline | None = None) -> list[Passage]:
    """Passages of `text` (the file's content exactly as read), in document order."""
    outline = outline or Outline()
    masked = mask_artefacts(text)
    tokenizer = train_tokenizer(masked)
    builder = StructureBuilder(document.id, source, masked,
                               lambda s, e: sentence_spans(tokenizer, masked, s, e), outline.kinds)
    passages = builder.build(read_blocks(text, masked, outline.headings))
    part_of = {heading: part for part, headings in outline.parts.items() for heading in headings}
    for p in passages:
        p.part = part_of.get(p.section[0] if p.section else "")
    return passages


def parse_document(corpus_dir: Path, document: Document, text: str) -> list[Passage]:
    return parse_text(document, text, f"{corpus_dir.name}/{document.file}", load_outline(corpus_dir, document))
