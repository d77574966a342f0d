"""A library of documents as the app offers it: short names for documents (a council's inspection by its
council and date), and the choices of the library filters (documents, councils, types, publishers, years),
sorted so that a few hundred documents stay easy to find by typing in a searchable list.

Nothing here is drawn: these are names and (label, value) pairs; the app turns them into its filters and the
templates show them. A library is more than one document; the single-report app uses none of this."""
from __future__ import annotations

import re
from datetime import date

from ingest.passage import Document, slug

COUNCIL = "council:"           # a choice standing for every inspection of one council ("council:dorset")
TYPE_NAMES = {"inspection": ("Inspection", "Inspections"), "guidance": ("Guidance", "Guidance"),
              "report": ("Report", "Reports")}
GRADE_NAMES = {"overall_effectiveness": "Overall", "impact_of_leaders": "Leaders",
               "help_and_protection": "Help and protection", "in_care": "In care", "care_leavers": "Care leavers"}
GRADES = ("outstanding", "good", "requires improvement", "inadequate")


def nice_date(iso: str | None) -> str | None:
    """'2014-12-05' -> '5 Dec 2014' (anything else as it is)."""
    try:
        d = date.fromisoformat((iso or "")[:10])
    except ValueError:
        return iso or None
    return f"{d.day} {d.strftime('%b %Y')}"


def type_name(doc_type: str | None, plural: bool = False) -> str:
    names = TYPE_NAMES.get((doc_type or "").lower())
    if names:
        return names[plural]
    return (doc_type or "Document").replace("-", " ").capitalize()


def overall(doc: Document) -> str | None:
    """An inspection's overall grade, as the report gives it ('Good'); None when it has none."""
    grade = (doc.grades or {}).get("overall_effectiveness")
    return grade.capitalize() if grade and grade.lower() in GRADES else None


def grades_line(doc: Document) -> str | None:
    """The judgements of an inspection in a few words: 'Overall: Good · Leaders: Outstanding …'."""
    parts = [f"{GRADE_NAMES.get(k, k.replace('_', ' ').capitalize())}: {v.capitalize()}"
             for k, v in (doc.grades or {}).items() if v and v.lower() in GRADES]
    return " · ".join(parts) or None


def doc_name(doc: Document) -> str:
    """How a card or a list names a document in one line. An inspection by its council and date
    ('Bristol · inspection, 5 Dec 2014'), anything else by its short title and year."""
    if doc.council:
        when = nice_date(doc.date) or (str(doc.year) if doc.year else "")
        return f"{doc.council} · {type_name(doc.doc_type).lower()}{', ' + when if when else ''}"
    return f"{doc.short_title} ({doc.year})" if doc.year else doc.short_title


def doc_facts(doc: Document) -> list[str]:
    """The facts a card or the reader's head shows about a document, briefly."""
    out = [doc.publisher or "", type_name(doc.doc_type) if doc.doc_type else ""]
    out.append(nice_date(doc.date) or (str(doc.year) if doc.year else ""))
    if doc.pages:
        out.append(f"{doc.pages} pages")
    return [x for x in out if x]


def _order(doc: Document) -> tuple:
    """Reading order of the lists: documents that are not inspections first (by type and title), then
    inspections by council and, within a council, newest first."""
    if doc.council:
        return (1, doc.council.lower(), "", -int(re.sub(r"\D", "", doc.date or "") or (doc.year or 0) * 10000))
    return (0, (doc.doc_type or "").lower(), (doc.short_title or doc.title).lower(), 0)


def document_choices(documents: dict[str, Document], councils: bool = True) -> list[tuple[str, str]]:
    """(label, value) for the searchable document list: each document by its name (an inspection with its
    overall grade), and, before a council's inspections when it has several, one choice for all of them."""
    docs = sorted(documents.values(), key=_order)
    counts: dict[str, int] = {}
    for d in docs:
        if d.council:
            counts[d.council] = counts.get(d.council, 0) + 1
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for d in docs:
        if councils and d.council and counts[d.council] > 1 and d.council not in seen:
            seen.add(d.council)
            out.append((f"{d.council} · all {counts[d.council]} inspections", COUNCIL + slug(d.council, 80)))
        grade = overall(d)
        label = doc_name(d) + (f" ({grade})" if grade else "")
        if not d.council:
            label = f"{type_name(d.doc_type)} · {label}" if d.doc_type else label
        out.append((label, d.id))
    return out


def expand(values, documents: dict[str, Document]) -> list[str]:
    """Document filter values as document ids (or folder prefixes ending in '/'): a council choice becomes
    its inspections. Raises ValueError naming a value that is none of these."""
    by_council: dict[str, list[str]] = {}
    for d in documents.values():
        if d.council:
            by_council.setdefault(slug(d.council, 80), []).append(d.id)
    out: list[str] = []
    for v in values or []:
        v = str(v).strip()
        if not v:
            continue
        if v.startswith(COUNCIL):
            ids = by_council.get(slug(v[len(COUNCIL):], 80))
            if not ids:
                raise ValueError(f"no council {v[len(COUNCIL):]!r} in the library")
            out += ids
        elif v in documents or (v.endswith("/") and any(i.startswith(v) for i in documents)):
            out.append(v)
        else:
            raise ValueError(f"no document {v!r} in the library; see `askreport documents`")
    return list(dict.fromkeys(out))


def type_choices(documents: dict[str, Document]) -> list[tuple[str, str]]:
    types = sorted({d.doc_type for d in documents.values() if d.doc_type})
    return [("All types", "all"), *((type_name(t, plural=True), t) for t in types)]


def publisher_choices(documents: dict[str, Document]) -> list[tuple[str, str]]:
    pubs = sorted({d.publisher for d in documents.values() if d.publisher}, key=str.lower)
    return [("All publishers", "all"), *((p, p) for p in pubs)]


def year_choices(documents: dict[str, Document]) -> list[int]:
    return sorted({int(d.year) for d in documents.values() if d.year})


def grade_choices(documents: dict[str, Document]) -> list[tuple[str, str]]:
    """Overall grades that some inspection of the library has, in the usual order."""
    have = {(d.grades or {}).get("overall_effectiveness", "").lower() for d in documents.values()}
    return [("Any grade", "all"), *((g.capitalize(), g) for g in GRADES if g in have)]
