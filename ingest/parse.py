"""Parse one document of the catalogue into passages with exact source spans."""
from __future__ import annotations

from pathlib import Path

from .blocks import mask_artefacts, read_blocks
from .catalog import load_outline
from .passage import Document, Passage
from .sentences import sentence_spans, train_tokenizer
from .structure import StructureBuilder


def parse_text(document: Document, text: str, source: str, headings=None, kinds=None) -> list[Passage]:
    """Passages of `text` (the file's content exactly as read), in document order."""
    masked = mask_artefacts(text)
    tokenizer = train_tokenizer(masked)
    builder = StructureBuilder(document.id, source, masked,
                               lambda s, e: sentence_spans(tokenizer, masked, s, e), kinds or {})
    return builder.build(read_blocks(text, masked, headings))


def parse_document(corpus_dir: Path, document: Document, text: str) -> list[Passage]:
    headings, kinds = load_outline(corpus_dir, document)
    return parse_text(document, text, f"{corpus_dir.name}/{document.file}", headings, kinds)
