"""The filters of the Ask tab: the kinds of text (and their groups) and parts of any index, and a library's
filters as the app offers them: their choices (built once from the documents), what a set of
chosen values means to search (search.Filters), how the share link writes them, and how the results' heading
names them. No gradio here: app.py draws the controls and passes their values in.

Values are what the controls hold: documents a list of ids, folder prefixes ("ilacs/") or "council:<name>"
(a list, or separated by commas in a link or the API), the others one value each, "all"/"any" meaning open."""
from __future__ import annotations

from ingest.passage import Document
from search.documents import Filters
from search.searcher import QueryError

from . import library as names

KIND_CHOICES = [("All kinds", "all"), ("Findings", "findings"), ("Practice implications", "practice"),
                ("Case studies", "case-studies"), ("Tables", "tables")]
KIND_GROUPS = {"findings": {"paragraph", "list", "quote"}, "practice": {"practice-implications"},
               "case-studies": {"case-study"}, "tables": {"table", "table-row"}}
OPEN = ("", "all", "any", "none")        # a filter left open
LINK_KEYS = ("doc", "type", "publisher", "grade", "from", "to", "group")   # the share link's parameters


def is_open(value) -> bool:
    return value is None or str(value).strip().lower() in OPEN


def year_of(value) -> int | None:
    """A year filter's value: None when left open, else the year; ValueError when it is not one."""
    if is_open(value):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a year") from None
    if not 1000 <= year <= 9999:
        raise ValueError(f"{value!r} is not a year")
    return year


def listed(value) -> list[str]:
    """A document filter's value: a list, or ids separated by commas."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def part_of(value: str | None) -> str | None:
    value = (value or "all").strip()
    if value in ("", "all", "everything"):
        return None
    return value


def kinds_of(value: str | list | None) -> set[str] | None:
    """'all', a group (findings, practice, case-studies, tables), a passage kind, or several, comma-separated."""
    items = value if isinstance(value, list) else str(value or "all").split(",")
    kinds: set[str] = set()
    for item in (i.strip() for i in items):
        if item in ("", "all"):
            return None
        kinds |= KIND_GROUPS.get(item, {item})
    return kinds or None


class LibraryFilters:
    """The filters of one library (more than one document) and their choices."""

    def __init__(self, documents: dict[str, Document]):
        self.documents = documents
        self.doc_choices = names.document_choices(documents)
        self.reader_choices = names.document_choices(documents, councils=False)
        self.type_choices = names.type_choices(documents)
        self.publisher_choices = names.publisher_choices(documents)
        self.grade_choices = names.grade_choices(documents)
        self.year_choices = [("Any", "any"), *((str(y), str(y)) for y in names.year_choices(documents))]
        self.doc_labels = dict((v, k) for k, v in self.doc_choices)
        pairs = {((d.doc_type or "").lower(), (d.publisher or "").lower()) for d in documents.values()}
        # publishers are worth a filter of their own unless each type has one publisher and each publisher one type
        self.publisher_filter = len(self.publisher_choices) > 2 and not (
            len(pairs) == len({t for t, _ in pairs}) == len({p for _, p in pairs}))

    def search_filters(self, document=None, doc_type=None, publisher=None, year_from=None, year_to=None,
                       grade=None) -> Filters | None:
        """The chosen values as search.Filters (None when every filter is open). QueryError, saying
        why, for a value that names nothing in the library."""
        try:
            return self._filters(document, doc_type, publisher, year_from, year_to, grade)
        except ValueError as e:
            raise QueryError(str(e)) from None

    def _filters(self, document, doc_type, publisher, year_from, year_to, grade) -> Filters | None:
        docs = self.documents
        ids = names.expand(listed(document), docs)
        doc_type, publisher, grade = (None if is_open(v) else str(v).strip() for v in (doc_type, publisher, grade))
        if doc_type and doc_type.lower() not in {(d.doc_type or "").lower() for d in docs.values()}:
            have = ", ".join(sorted({d.doc_type for d in docs.values() if d.doc_type})) or "no types"
            raise ValueError(f"no document of type {doc_type!r}; the library has {have}")
        if publisher and publisher.lower() not in {(d.publisher or "").lower() for d in docs.values()}:
            raise ValueError(f"no document published by {publisher!r}")
        filters = Filters(ids or None, publisher, doc_type, year_of(year_from), year_of(year_to), grade)
        return filters if filters else None

    @staticmethod
    def share(documents, doc_type, publisher, grade, year_from, year_to, group) -> dict:
        """The share link's query parameters (filters left open are left out)."""
        values = (",".join(listed(documents)) or None, *(None if is_open(v) else str(v) for v in
                                                         (doc_type, publisher, grade, year_from, year_to)),
                  "1" if group else None)
        return dict(zip(LINK_KEYS, values))

    def from_link(self, params: dict) -> list:
        """The values a share link sets, in the order of `search_filters` plus group (documents, type,
        publisher, grade, from, to, group); values the filters do not offer are dropped."""
        def pick(name, choices, default):
            value = params.get(name)
            return value if value in {v for _, v in choices} else default
        docs = [d for d in listed(params.get("doc")) if d in self.doc_labels]
        return [docs, pick("type", self.type_choices, "all"), pick("publisher", self.publisher_choices, "all"),
                pick("grade", self.grade_choices, "all"), pick("from", self.year_choices, "any"),
                pick("to", self.year_choices, "any"), params.get("group") in ("1", "true", "yes")]

    def labels(self, documents, doc_type, publisher, grade, year_from, year_to) -> list[str]:
        """The filters in use, in words, for the results' heading: ["Bristol · inspection, 5 Dec 2014",
        "Inspections", "from 2021"]."""
        out = []
        chosen = listed(documents)
        if len(chosen) == 1:
            out.append(self.doc_labels.get(chosen[0], chosen[0]))
        elif chosen:
            out.append(f"{len(chosen)} chosen documents")
        for value, choices in ((doc_type, self.type_choices), (publisher, self.publisher_choices)):
            if not is_open(value):
                out.append(dict((v, k) for k, v in choices).get(value, value))
        if not is_open(grade):
            out.append(f"overall grade {dict((v, k) for k, v in self.grade_choices).get(grade, grade).lower()}")
        a, b = year_of(year_from), year_of(year_to)
        if a or b:
            out.append(f"{a}–{b}" if a and b and a != b else str(a) if a == b else f"from {a}" if a else f"up to {b}")
        return out
