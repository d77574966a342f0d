"""The typed results search and check return; the CLI, the API and the renderers consume them.

Their JSON is `to_json()`: `dataclasses.asdict` with the optional fields that are unset (None)
left out, so the contract in the README is exactly these fields in this order.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


def _drop_unset(value):
    if isinstance(value, dict):
        return {k: _drop_unset(v) for k, v in value.items() if v is not None or k not in _OPTIONAL}
    if isinstance(value, list):
        return [_drop_unset(v) for v in value]
    return value


class _Json:
    def to_json(self) -> dict:
        return _drop_unset(asdict(self))


@dataclass
class Span(_Json):
    """Characters of a document's text: text[start_char:end_char] (Python offsets, end exclusive)."""
    start_char: int
    end_char: int
    text: str


@dataclass
class Hit(_Json):
    """One passage in a ranking, with where it is and how to cite it."""
    rank: int
    passage_id: str
    document: str
    paragraph: str | None
    section: list[str]
    kind: str
    label: str | None
    text: str
    score: float
    source: str
    start_char: int
    end_char: int
    highlights: list[Span]
    citation: str
    page: int | None = None               # paged documents only (PDF): physical page where it starts
    pages: list[int] | None = None
    page_label: str | None = None
    differences: list[dict] | None = None   # check only: how the text differs from this passage
    match: Span | None = None               # check only: the exact original span of a quotation


@dataclass
class TableRow(_Json):
    passage_id: str
    label: str | None
    text: str
    start_char: int
    end_char: int
    citation: str


@dataclass
class Answer(_Json):
    found: bool
    confidence: float
    text: str | None
    passage_id: str | None
    citation: str | None
    not_mentioned: list[str] | None = None   # names and numbers in the query no document mentions
    not_given: list[str] | None = None       # kinds of fact asked for that the top passage lacks
    reason: str | None = None                # why not found, in one line
    table_rows: list[TableRow] | None = None  # every matching row of a question over a whole table
    judge: float | None = None               # the local judge's P(the top passage answers), when asked


@dataclass
class Group(_Json):
    """One document in grouped results: how many of the `pool` best passages it holds."""
    document: str
    title: str
    passages: int
    pool: int


@dataclass
class SearchResult(_Json):
    query: str
    model: dict
    answer: Answer
    glossary: list[str] = field(default_factory=list)
    results: list[Hit] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)   # id -> title, publisher, year, date, type, council, grades
    groups: list[Group] | None = None                          # grouped by document: one entry per result


@dataclass
class CheckResult(_Json):
    query: str
    verdict: str | None          # verbatim, near-verbatim, paraphrase, figures-differ, not-found
    similarity: float | None
    explanation: str
    matches: list[Hit] = field(default_factory=list)
    judge: float | None = None   # the local judge's P(the closest passage states this), when asked
    adds: list[str] | None = None  # not-found: what the text adds that its closest passage does not state


_OPTIONAL = {f.name for cls in (Hit, Answer, SearchResult, CheckResult) for f in fields(cls) if f.default is None}
