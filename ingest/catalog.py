"""The corpus catalogue: which documents exist, their bibliographic facts and outlines."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
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
        documents.append(doc)
    if not documents:
        raise CatalogError(f"{path}: lists no documents")
    return documents


@dataclass(frozen=True)
class Outline:
    """A document's table of contents as data (see corpus/*.outline.toml)."""

    headings: dict[str, int] | None = None      # heading_key -> level; None: guess headings
    kinds: dict[str, str] = field(default_factory=dict)             # heading -> kind of the text under it
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # part -> top-level headings ("" = before)
    part_labels: dict[str, str] = field(default_factory=dict)


def load_outline(corpus_dir: Path, document: Document) -> Outline:
    if not document.outline:
        return Outline()
    from .blocks import heading_key
    data = tomllib.loads((corpus_dir / document.outline).read_text(encoding="utf-8"))
    parts = data.get("parts", {})
    return Outline(headings={heading_key(text): int(level) for level, text in data.get("headings", [])},
                   kinds=dict(data.get("kinds", {})),
                   parts={name: tuple(part.get("headings", [])) for name, part in parts.items()},
                   part_labels={name: part.get("label", name) for name, part in parts.items()})
