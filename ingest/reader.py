"""Read a catalogued document safely: inside the corpus folder, bounded in size, real text."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024         # a long report is ~1 MB of text
_BINARY_MAGIC = (b"\x89PNG", b"\x7fELF", b"%PDF", b"PK\x03\x04", b"GIF8", b"\xff\xd8\xff")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")     # not text: C0 controls but tab, LF, VT, FF, CR
_INVISIBLE = re.compile(r"[\s\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*")


class DocumentError(ValueError):
    """A document that cannot be ingested; the message says why in one line."""


def resolve_inside(corpus_dir: Path, relative: str) -> Path:
    """The document's real path, refusing anything that leaves the corpus folder."""
    if not relative or os.path.isabs(relative) or "\x00" in relative:
        raise DocumentError(f"{relative!r}: file must be a relative path inside {corpus_dir}")
    root = corpus_dir.resolve()
    try:
        path = (root / relative).resolve(strict=True)
    except FileNotFoundError:
        raise DocumentError(f"{relative}: no such file in {corpus_dir}") from None
    except (RuntimeError, OSError) as e:           # symlink loops and the like
        raise DocumentError(f"{relative}: cannot be resolved ({e.__class__.__name__})") from None
    if not path.is_relative_to(root):
        raise DocumentError(f"{relative}: points outside the corpus folder; refused")
    if not path.is_file():
        raise DocumentError(f"{relative}: not a regular file")
    return path


def read_document(corpus_dir: Path, relative: str, max_bytes: int | None = None) -> tuple[str, str]:
    """(text, encoding). Offsets into `text` are what `open(path, encoding=encoding).read()` gives."""
    max_bytes = MAX_DOCUMENT_BYTES if max_bytes is None else max_bytes
    path = resolve_inside(corpus_dir, relative)
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{relative}: {size:,} bytes is over the {max_bytes:,}-byte limit; refused")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise DocumentError(f"{relative}: cannot be read ({e.strerror})") from None
    if len(data) > max_bytes:
        raise DocumentError(f"{relative}: over the {max_bytes:,}-byte limit; refused")
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    if encoding.startswith("utf-8") and (data.startswith(_BINARY_MAGIC) or b"\x00" in data[:65536]):
        raise DocumentError(f"{relative}: binary data, not text; skipped")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise DocumentError(f"{relative}: not valid {encoding.upper()} text (byte {e.start}); "
                            "convert it to UTF-8 first") from None
    if "\x00" in text or len(_CONTROL.findall(text[:65536])) > len(text[:65536]) // 100:
        raise DocumentError(f"{relative}: binary data (control characters), not {encoding.upper()} text; skipped")
    if "\r" in text:
        raise DocumentError(f"{relative}: has CR line endings; convert to LF (dos2unix) so offsets are stable")
    if _INVISIBLE.fullmatch(text):                 # nothing but whitespace and zero-width marks
        raise DocumentError(f"{relative}: empty or whitespace only; skipped")
    return text, encoding


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
