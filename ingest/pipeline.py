"""The whole ingestion step: catalogue -> read each document -> passages, with a report."""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import load_catalog
from .parse import parse_document
from .passage import Document, Passage
from .reader import DocumentError, read_document, resolve_inside


@dataclass
class IngestedDocument:
    document: Document
    sha256: str
    encoding: str
    characters: int
    passages: list[Passage]
    text: str                  # the text every passage offset points into (stored with the index)


@dataclass
class IngestReport:
    documents: list[IngestedDocument] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)     # (document id, reason)

    @property
    def passages(self) -> list[Passage]:
        return [p for d in self.documents for p in d.passages]


def ingest_corpus(corpus_dir: Path) -> IngestReport:
    report = IngestReport()
    for document in load_catalog(corpus_dir):
        try:
            text, encoding = read_document(corpus_dir, document.file)
            if document.outline:                   # the outline is read too: same containment rule
                resolve_inside(corpus_dir, document.outline)
            passages = parse_document(corpus_dir, document, text)
        except DocumentError as e:
            report.skipped.append((document.id, str(e)))
            continue
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            report.skipped.append((document.id, f"{document.outline}: not a valid TOML outline ({e})"))
            continue
        if not passages:
            report.skipped.append((document.id, f"{document.file}: no text found"))
            continue
        digest = hashlib.sha256(text.encode(encoding)).hexdigest()
        report.documents.append(IngestedDocument(document, digest, encoding, len(text), passages, text))
    return report
