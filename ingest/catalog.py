"""The corpus catalogue: which documents exist, their bibliographic facts and outlines."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .passage import Document


class CatalogError(ValueError):
    """The catalogue or one of its documents cannot be used."""


def load_catalog(corpus_dir: Path) -> list[Document]:
    path = corpus_dir / "catalog.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"no catalogue at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CatalogError(f"{path}: not valid TOML ({e})") from None
    documents, seen = [], set()
    for entry in data.get("documents", []):
        try:
            doc = Document(**entry)
        except TypeError as e:
            raise CatalogError(f"{path}: bad document entry {entry.get('id', '?')!r}: {e}") from None
        if doc.id in seen:
            raise CatalogError(f"{path}: document id {doc.id!r} appears twice")
        seen.add(doc.id)
        documents.append(with_outline_labels(corpus_dir, doc))
    if not documents:
        raise CatalogError(f"{path}: lists no documents")
    return documents


@dataclass(frozen=True)
class Outline:
    """A document's table of contents as data (see corpus/*.outline.toml)."""

    headings: dict[str, int] | None = None      # heading_key -> level; None: guess headings
    kinds: dict[str, str] = field(default_factory=dict)             # heading -> kind of the text under it
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # part -> top-level headings ("" = before)
    part_labels: dict[str, str] = field(default_factory=dict)        # part -> what the app calls it
    kind_labels: dict[str, str] = field(default_factory=dict)        # kind -> this document's name for it


def load_outline(corpus_dir: Path, document: Document) -> Outline:
    if not document.outline:
        return Outline()
    from .blocks import heading_key
    data = tomllib.loads((corpus_dir / document.outline).read_text(encoding="utf-8"))
    parts = data.get("parts", {})
    return Outline(headings={heading_key(text): int(level) for level, text in data.get("headings", [])},
                   kinds=dict(data.get("kinds", {})),
                   parts={name: tuple(part.get("headings", [])) for name, part in parts.items()},
                   part_labels={name: part.get("label", name) for name, part in parts.items()},
                   kind_labels=dict(data.get("kind_labels", {})))


def with_outline_labels(corpus_dir: Path, document: Document) -> Document:
    """The document with its outline's part labels and kind labels (`parts`, `kind_labels`) unless its
    catalogue entry gives them. Only an outline inside the corpus folder is read; one that cannot be
    used is left to ingestion to report (and the document keeps no labels)."""
    if not document.outline or (document.parts and document.kind_labels):
        return document
    from .reader import DocumentError, resolve_inside
    try:
        data = tomllib.loads(resolve_inside(corpus_dir, document.outline).read_text(encoding="utf-8"))
        parts = {str(name): str(part.get("label", name)) for name, part in data.get("parts", {}).items()}
        kinds = {str(kind): str(label) for kind, label in data.get("kind_labels", {}).items()}
    except (DocumentError, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        return document
    return replace(document, parts=document.parts or parts, kind_labels=document.kind_labels or kinds)
