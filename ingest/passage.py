"""The records ingestion produces: documents and the passages cut from them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field


def slug(text: str, limit: int = 48) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "x"


@dataclass(frozen=True)
class Document:
    """One catalogue entry (corpus/catalog.toml)."""

    id: str
    title: str
    short_title: str
    publisher: str
    year: int
    file: str            # path relative to the corpus folder
    licence: str
    outline: str | None = None
    subtitle: str | None = None
    published: str | None = None
    reference: str | None = None
    doc_type: str | None = None          # "inspection", "guidance", "report": what a user filters on
    date: str | None = None              # publication date, ISO (YYYY-MM-DD) where known
    council: str | None = None           # for an inspection: the local authority inspected
    inspected: str | None = None         # for an inspection: when it began, ISO, where known ("its November
                                         # 2024 inspection" is a report published in January 2025)
    grades: dict[str, str] = field(default_factory=dict)   # for an inspection: judgement -> grade
    pages: int | None = None             # physical pages, for a paged document (PDF)
    # What the app shows for this document (data, not code): from the outline, the parts a reader can
    # filter on (part -> label, in the order offered) and its own names for passage kinds ("quote" ->
    # "Quotation from a review"); from the catalogue, example questions ([button label, question]), a hint
    # for the question box and a quote to try in the check tab.
    parts: dict[str, str] = field(default_factory=dict)
    kind_labels: dict[str, str] = field(default_factory=dict)
    examples: list[list[str]] = field(default_factory=list)
    question_hint: str | None = None
    check_example: str | None = None

    @property
    def author_year(self) -> str:
        year = f" ({self.year})" if self.year else ""
        return f"{self.publisher}{year} {self.short_title}" if self.publisher else f"{self.short_title}{year}"


@dataclass
class Sentence:
    """A sentence (or table row) with its exact span in the source text."""

    start_char: int
    end_char: int
    text: str            # the span's text, whitespace-normalised


@dataclass
class Passage:
    """A citable unit of a document: a paragraph, list, quote, table row, footnote, heading.

    `start_char`/`end_char` are Python string offsets into the source file's text (end
    exclusive). `text` is that span cleaned of export artefacts; for a table row it is the
    row rendered as a sentence with its table's caption and column headings.
    """

    passage_id: str
    document: str
    kind: str                    # title, heading, paragraph, list, quote, case-study,
                                 # practice-implications, table, table-row, footnote
    paragraph: str | None        # the report's own paragraph number, if numbered
    section: list[str]           # heading path, outermost first
    text: str
    start_char: int
    end_char: int
    source: str                  # e.g. "corpus/ages-of-concern.txt"
    label: str | None = None     # how a citation names it: "para 40", "Table 1 · Good", "footnote 3"
    after_paragraph: str | None = None   # for unnumbered text: the numbered paragraph it follows
    part: str | None = None              # the part of the document a reader can filter on (outline)
    sentences: list[Sentence] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)   # ids of footnotes this passage cites
    cited_by: list[str] = field(default_factory=list)    # for a footnote: the passages citing it
    cells: list[list[str]] = field(default_factory=list)  # for a table row: [column heading, value] pairs
    page: int | None = None              # 1-based physical page where it starts (paged documents only)
    pages: list[int] = field(default_factory=list)       # every physical page it spans
    page_label: str | None = None        # the printed page number of `page` ("iv", "12")
    # Tables, as data (nothing parses them back out of `text` or `label`): for a table and its rows the
    # table passage's id and its caption ("Table 1: Outcomes of evaluations"); for a row its own label
    # ("Good", "York", "Homicide › Other"); for a table its column headings as printed, the first over
    # the row labels where the document gives one ("Local Safeguarding Children Board")
    table_id: str | None = None
    caption: str | None = None
    row_label: str | None = None
    columns: list[str] | None = None

    def to_dict(self) -> dict:
        """As dataclasses.asdict gives it, without its deep copy (4x faster: a library has 71k passages)."""
        return {**self.__dict__, "sentences": [dict(s.__dict__) for s in self.sentences]}

    @classmethod
    def from_dict(cls, data: dict) -> "Passage":
        data = dict(data)
        data["sentences"] = [Sentence(**s) for s in data.get("sentences", [])]
        return cls(**data)


def place(passage: Passage, short: bool = False) -> str:
    """How a citation names a passage's place: its label ("para 40", "Table 1 · Good", "footnote 3"),
    or for unnumbered text its section path (short: the innermost heading) and the numbered paragraph
    it follows ("Practice implications (after para 17)")."""
    if passage.label:
        return passage.label
    where = (passage.section[-1] if short else " › ".join(passage.section)) if passage.section else "front matter"
    return where + (f" (after para {passage.after_paragraph})" if passage.after_paragraph else "")


def citation(passage: Passage, document: Document) -> str:
    """'Ofsted (2011) <short title>, para 40'; with the printed page where the document has pages:
    'Ofsted (2025) Inspection of Dorset …, para 14, p. 4'."""
    page = f", p. {passage.page_label}" if passage.page_label else ""
    return f"{document.author_year}, {place(passage)}{page}"
