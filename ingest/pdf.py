"""PDF (and Word) documents as paged text: read page by page, clean, lay out for the splitter.

`extract_pdf` reads a PDF with pypdfium2 and returns an `Extracted`: one cleaned text (every
passage offset points into it), where each physical page starts in it, the printed page labels
and the document properties. `extract_docx` does the same for a Word file with python-docx.
This module reads files and refuses what cannot be ingested (`PagedDocumentError`); cleaning the
page texts is `pagetext` (`clean_pages`), laying them out as one text is `layout` (`Extracted`).
Nothing here imports torch, faiss or gradio.
"""
from __future__ import annotations

import re
from pathlib import Path

from .blocks import BULLET
from .layout import Extracted, layout_plain
from .pagetext import clean_pages
from .reader import DocumentError

MAX_PDF_BYTES = 200 * 1024 * 1024
MAX_DOCX_BYTES = 100 * 1024 * 1024

__all__ = ["Extracted", "PagedDocumentError", "clean_pages", "extract_docx", "extract_pdf"]


class PagedDocumentError(DocumentError):
    """A PDF or Word file that cannot be ingested. `status` names the reason for a document list:
    "empty", "too-large", "not-pdf", "not-docx", "corrupt", "encrypted", "needs-ocr", "unreadable".
    """

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status


# -- reading ---------------------------------------------------------------------------------

def _check_file(path: Path, limit: int, kind: str) -> bytes:
    """The file's first bytes, after the size checks."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError as e:
        raise PagedDocumentError(f"{path.name}: cannot be read ({e.strerror or e.__class__.__name__})",
                                 "unreadable") from None
    if size == 0:
        raise PagedDocumentError(f"{path.name}: empty file (0 bytes)", "empty")
    if size > limit:
        raise PagedDocumentError(f"{path.name}: {size:,} bytes is over the {limit:,}-byte limit for a {kind}; "
                                 "refused", "too-large")
    return head


def _what_it_is(head: bytes) -> str:
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in low[:1024]:
        return "an HTML page"
    if low.startswith(b"<?xml") or low.startswith(b"<"):
        return "an XML/markup file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (a Word or other Office file?)"
    if head.startswith(b"%PDF"):
        return "a PDF"
    for magic, name in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                        (b"\xd0\xcf\x11\xe0", "an old-style Office file (.doc)"), (b"{\\rtf", "an RTF file")):
        if head.startswith(magic):
            return name
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "unrecognised binary data"


def _pdf_date(value: str) -> str | None:
    m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?", value or "")
    if not m:
        return None
    y, mo, d, h, mi, s = m.groups()
    out = f"{y}-{mo or '01'}-{d or '01'}"
    return out + (f"T{h}:{mi or '00'}:{s or '00'}" if h else "")


def _read_pdf(path: Path) -> tuple[list[str], list[str], dict]:
    """(raw text per page, PDF page labels ('' where none), metadata)."""
    head = _check_file(path, MAX_PDF_BYTES, "PDF")
    if b"%PDF-" not in head[:1024]:
        raise PagedDocumentError(f"{path.name}: not a PDF: it is {_what_it_is(head)}", "not-pdf")
    import pypdfium2 as pdfium
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium.raw.FPDF_ERR_PASSWORD or "password" in str(e).lower():
            raise PagedDocumentError(f"{path.name}: encrypted PDF: a password is required to open it",
                                     "encrypted") from None
        if code == pdfium.raw.FPDF_ERR_SECURITY:
            raise PagedDocumentError(f"{path.name}: encrypted PDF with an unsupported security handler",
                                     "encrypted") from None
        raise PagedDocumentError(f"{path.name}: corrupt or truncated PDF (PDFium cannot load it)", "corrupt") from None
    try:
        count = len(doc)
        if count == 0:
            raise PagedDocumentError(f"{path.name}: corrupt PDF: it has no pages", "corrupt")
        texts, labels = [], []
        for i in range(count):
            page = doc[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
            labels.append(doc.get_page_label(i) or "")
        raw_meta = doc.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        raise PagedDocumentError(f"{path.name}: corrupt PDF: a page cannot be read", "corrupt") from None
    finally:
        doc.close()
    metadata = {k.lower(): v.strip() for k, v in raw_meta.items() if isinstance(v, str) and v.strip()}
    for key in ("creationdate", "moddate"):
        if key in metadata:
            metadata["created" if key == "creationdate" else "modified"] = _pdf_date(metadata.pop(key)) or ""
    if metadata.get("created"):
        metadata["date"] = metadata["created"][:10]          # the properties' date, YYYY-MM-DD
    visible = sum(len(t.split()) for t in texts)
    if visible < 5 * count and visible < 50:
        raise PagedDocumentError(f"{path.name}: no text layer: needs OCR ({count} page{'s' * (count != 1)})",
                                 "needs-ocr")
    return texts, labels, metadata


def extract_pdf(path: Path) -> Extracted:
    """The PDF's cleaned text, page offsets, labels and properties. Raises PagedDocumentError."""
    texts, pdf_labels, metadata = _read_pdf(Path(path))
    return clean_pages(texts, pdf_labels, metadata)


# -- Word ------------------------------------------------------------------------------------

def extract_docx(path: Path) -> Extracted:
    """A Word (.docx) file as paged text: paragraphs in body order, headings by style, list
    paragraphs as bullets, table rows as lines; pages where Word last broke them (rendered
    page breaks) or where a hard page break stands. Raises PagedDocumentError."""
    path = Path(path)
    head = _check_file(path, MAX_DOCX_BYTES, "Word file")
    if not head.startswith(b"PK\x03\x04"):
        raise PagedDocumentError(f"{path.name}: not a Word (.docx) file: it is {_what_it_is(head)}", "not-docx")
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise PagedDocumentError(f"{path.name}: corrupt or not a Word document ({e.__class__.__name__})",
                                 "corrupt") from None
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    pages: list[list[str]] = [[]]
    for element in document.element.body.iterchildren():
        if element.tag == W + "p":
            breaks = len(element.findall(f".//{W}lastRenderedPageBreak")) + \
                len([b for b in element.findall(f".//{W}br") if b.get(W + "type") == "page"])
            for _ in range(min(breaks, 1) if pages[-1] else 0):
                pages.append([])
            text = " ".join("".join((t.text or "") if t.tag == W + "t" else " "
                                    for t in element.iter(W + "t", W + "tab")).split())
            if not text:
                continue
            style = element.find(f"{W}pPr/{W}pStyle")
            style = (style.get(W + "val") if style is not None else "") or ""
            listed = element.find(f"{W}pPr/{W}numPr") is not None or style.lower().startswith("list")
            if style.lower().startswith(("heading", "title")):
                pages[-1] += ["", "\x03" + text, ""]
            elif listed:
                pages[-1].append(f"{BULLET} {text}")
            else:
                pages[-1] += [text, ""]
        elif element.tag == W + "tbl":
            for row in element.iter(W + "tr"):
                cells = [" ".join("".join(t.text or "" for t in cell.iter(W + "t")).split())
                         for cell in row.iter(W + "tc")]
                cells = [c for c in cells if c]
                if cells:
                    pages[-1].append("\x04" + BULLET + " " + " · ".join(cells))
            pages[-1].append("")
    props = document.core_properties
    metadata = {k: v for k, v in (("title", props.title), ("author", props.author), ("subject", props.subject),
                                  ("created", props.created.isoformat() if props.created else None),
                                  ("modified", props.modified.isoformat() if props.modified else None)) if v}
    if metadata.get("created"):
        metadata["date"] = metadata["created"][:10]
    if not any(line.strip() for page in pages for line in page):
        raise PagedDocumentError(f"{path.name}: no text in this Word document", "empty")
    return layout_plain(pages, metadata)
