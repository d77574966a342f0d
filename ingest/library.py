"""A folder of documents (PDF, Word, plain text) -> catalogue entries -> passages.

The catalogue is data that lives next to the files, never code:
  - any CSV with a `file` column, in the document's folder or a folder above it (up to the
    library's root), describes the files it names (paths relative to the CSV's folder). Columns
    read: title, short_title, publisher, year, date / publication_date, type, council /
    local_authority, licence, inspected / inspection_start_date, and every `*_grade` column (an
    inspection's judgements).
    Later (deeper) CSVs add to and override earlier ones;
  - what no CSV says comes from the file itself: PDF properties (title, date), else its name;
  - `publishers.toml` (beside this module) maps publishers to the short names citations use.
The library's root is the nearest folder above a file that holds a CSV catalogue or a
catalog.toml, else the folder given; a document's id is its path under the root without the
extension, so the same file gets the same id whether its folder or the file itself is ingested.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from . import package_data
from .catalog import CatalogError, load_catalog
from .passage import Document, Passage, slug
from .reader import DocumentError, read_document, sha256_file

SUPPORTED = (".pdf", ".docx", ".txt")     # not .md: a folder's README describes the folder, it is not a document
CATALOG_CSV_MAX_BYTES = 20 * 1024 * 1024
_COLUMNS = {"title": "title", "short_title": "short_title", "publisher": "publisher", "year": "year",
            "date": "date", "publication_date": "date", "type": "doc_type", "doc_type": "doc_type",
            "council": "council", "local_authority": "council", "licence": "licence", "license": "licence",
            "inspected": "inspected", "inspection_start_date": "inspected"}
_NO_GRADE = {"", "inspection_pre_dates_judgement", "n/a", "na", "none"}


@dataclass
class Refusal:
    """A file that was not indexed, and why (one line); `status` is a short word for a list."""
    path: str
    reason: str
    status: str = "refused"


@dataclass
class Found:
    path: Path            # the file
    root: Path            # the library root its id is relative to
    doc_id: str
    sha256: str

    @property
    def rel(self) -> str:
        return self.path.relative_to(self.root).as_posix()


@dataclass
class ParsedDocument:
    document: Document
    text: str             # what every passage offset points into (stored with the index)
    passages: list[Passage]
    sha256: str
    path: str
    encoding: str = "utf-8"


@dataclass
class Discovery:
    files: list[Found] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


# -- finding files -----------------------------------------------------------------------------
def library_root(path: Path, given: Path) -> Path:
    """The top of the run of catalogue folders nearest above the file (ilacs/ has inspections.csv,
    the library above it SOURCES.csv: the root is the library); else the folder given."""
    top = given if given.is_dir() else given.parent
    best, above_top = None, 0
    for candidate in path.parents:
        if _catalog_csvs(candidate) or (candidate / "catalog.toml").is_file():
            best = candidate
        elif best is not None or above_top >= 2:
            break
        if candidate == top or above_top:
            above_top += 1
    return best or top


def document_id(rel: str) -> str:
    """'ilacs/dorset-2025-05-09.pdf' -> 'ilacs/dorset-2025-05-09'; each part slugged."""
    parts = Path(rel).with_suffix("").parts
    return "/".join(slug(p, 80) for p in parts)


def discover(paths: list[Path]) -> Discovery:
    """Every supported file under `paths` (files or folders, recursively), in a stable order."""
    out = Discovery()
    for given in paths:
        given = Path(given)
        if not given.exists():
            out.refused.append(Refusal(str(given), f"{given}: no such file or folder", "missing"))
            continue
        files = [given] if given.is_file() else sorted(
            p for p in given.rglob("*") if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(given).parts))
        for path in files:
            if path.suffix.lower() not in SUPPORTED:
                if given.is_file():
                    out.refused.append(Refusal(str(path), f"{path.name}: not a PDF, Word or text file", "unsupported"))
                continue
            root = library_root(path.resolve(), given.resolve())
            try:
                digest = sha256_file(path)
            except OSError as e:
                out.refused.append(Refusal(str(path), f"{path.name}: cannot be read ({e.strerror})", "unreadable"))
                continue
            real = path.resolve()
            out.files.append(Found(real, root, document_id(real.relative_to(root).as_posix()), digest))
    return out


# -- the catalogue -----------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _catalog_csvs(folder: Path) -> tuple[Path, ...]:
    try:
        candidates = sorted(folder.glob("*.csv"))
    except OSError:
        return ()
    out = []
    for path in candidates:
        try:
            if path.stat().st_size > CATALOG_CSV_MAX_BYTES:
                continue
            with open(path, encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader(f), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
        if "file" in header:
            out.append(path)
    return tuple(out)


@lru_cache(maxsize=256)
def _rows(csv_path: Path) -> dict[str, dict[str, str]]:
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        return {(row.get("file") or "").strip(): row for row in csv.DictReader(f)}


@lru_cache(maxsize=1)
def _publishers() -> dict[str, str]:
    return {k.lower(): v for k, v in package_data("publishers.toml").get("short_names", {}).items()}


def catalog_facts(found: Found) -> dict[str, object]:
    """What the CSV catalogues between the root and the file say about it."""
    facts: dict[str, object] = {}
    grades: dict[str, str] = {}
    folder = found.path.parent
    chain = [folder, *[p for p in folder.parents if p.is_relative_to(found.root)]]
    for directory in reversed(chain):                      # root first; deeper files override
        for csv_path in _catalog_csvs(directory):
            row = _rows(csv_path).get(found.path.relative_to(directory).as_posix())
            if row is None:
                continue
            for column, value in row.items():
                value = (value or "").strip()
                if not column or not value:
                    continue
                if column in _COLUMNS:
                    facts[_COLUMNS[column]] = value
                elif column.endswith("_grade") and value.lower() not in _NO_GRADE:
                    grades[column.removesuffix("_grade")] = value.replace("_", " ")
    if grades:
        facts["grades"] = grades
    return facts


def catalog_entry(found: Found) -> Document | None:
    """The file's entry in the catalog.toml at its library's root (a corpus folder: title, publisher, year,
    outline), if it has one."""
    if not (found.root / "catalog.toml").is_file():
        return None
    try:
        entries = load_catalog(found.root)
    except CatalogError as e:
        raise DocumentError(str(e)) from None
    return next((d for d in entries if d.file == found.rel), None)


def iso_date(value: str | None) -> str | None:
    """'09/05/25', '2025-05-09', '9 May 2025' -> '2025-05-09' (None when it is not a date)."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%y", "%d/%m/%Y", "%d %B %Y", "%B %Y", "%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def make_document(found: Found, facts: dict, metadata: dict | None = None, pages: int | None = None,
                  first_line: str | None = None) -> Document:
    """Catalogue facts first; then the document's own first line (PDF title properties are mostly
    template names such as "LA NAME - inspection report"), its properties' date, its file name."""
    metadata = metadata or {}
    title = str(facts.get("title") or first_line or found.path.stem.replace("-", " ").replace("_", " "))
    date = iso_date(str(facts.get("date") or "")) or iso_date(metadata.get("date"))
    year = facts.get("year") or (date[:4] if date else None)
    publisher = str(facts.get("publisher") or "").strip()
    short_publisher = _publishers().get(publisher.lower(), publisher)
    doc_type = facts.get("doc_type") or ("inspection" if facts.get("grades") else None) \
        or (Path(found.rel).parts[0] if len(Path(found.rel).parts) > 1 else None)
    council = facts.get("council")
    return Document(
        id=found.doc_id, title=title, short_title=str(facts.get("short_title") or short_title(title, year)),
        publisher=short_publisher, year=int(year) if str(year or "").isdigit() else 0,
        file=found.rel, licence=str(facts.get("licence") or "See the document."),
        date=date, doc_type=str(doc_type) if doc_type else None,
        council=_title_case(str(council)) if council else None, grades=dict(facts.get("grades") or {}),
        pages=pages, inspected=iso_date(str(facts.get("inspected") or "")))


def short_title(title: str, year) -> str:
    """The title before its subtitle, without a trailing year the citation already gives:
    'Keeping children safe in education 2025: statutory guidance…' -> 'Keeping children safe in education'."""
    short = re.split(r":\s", title, maxsplit=1)[0].strip()
    if year:
        short = re.sub(rf"\s*\(?{year}\)?$", "", short).strip()
    return short or title


def _title_case(name: str) -> str:
    if name != name.lower():
        return name
    small = {"and", "of", "the", "upon", "on", "in"}
    return " ".join(w if w in small and i else w[:1].upper() + w[1:] for i, w in enumerate(name.split()))


def _first_line(text: str) -> str | None:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if 3 <= len(line) <= 150 else None


# -- parsing one file --------------------------------------------------------------------------
def parse_file(found: Found) -> ParsedDocument:
    """Read and parse one file into passages; raises DocumentError (one line) when it cannot."""
    from .parse import parse_document, parse_paged, parse_text
    facts = catalog_facts(found)
    source = f"{found.root.name}/{found.rel}"
    suffix = found.path.suffix.lower()
    if suffix in (".pdf", ".docx"):
        from .pdf import extract_docx, extract_pdf
        extracted = (extract_pdf if suffix == ".pdf" else extract_docx)(found.path)
        document = make_document(found, facts, extracted.metadata, extracted.pages, _first_line(extracted.text))
        passages = parse_paged(document, extracted, source)
        text = extracted.text
        encoding = "utf-8"
    else:
        text, encoding = read_document(found.root, found.rel)
        if entry := catalog_entry(found):       # its catalog.toml entry: facts and outline, as a corpus build reads them
            document = replace(entry, id=found.doc_id, file=found.rel)
            passages = parse_document(found.root, document, text)
        else:
            document = make_document(found, facts, first_line=_first_line(text))
            passages = parse_text(document, text, source)
    if not passages:
        raise DocumentError(f"{found.rel}: no text found")
    return ParsedDocument(document, text, passages, found.sha256, str(found.path), encoding)
