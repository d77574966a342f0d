"""The corpus catalogue: which documents exist, their bibliographic facts and outlines."""
from __future__ import annotations

import tomllib
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


def load_outline(corpus_dir: Path, document: Document) -> tuple[dict[str, int] | None, dict[str, str]]:
    """Heading text -> level, and section kinds; (None, {}) when the document has no outline."""
    if not document.outline:
        return None, {}
    from .blocks import heading_key
    data = tomllib.loads((corpus_dir / document.outline).read_text(encoding="utf-8"))
    headings = {heading_key(text): int(level) for level, text in data.get("headings", [])}
    return headings, dict(data.get("kinds", {}))
