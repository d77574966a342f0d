"""Documents as search sees them: filters (document, publisher, type, years, grade) as vectorised
masks, and the documents a query names ("Bristol's 2014 inspection", "Keeping children safe in
education"): names, places and dates are strong signals that a dense model alone blurs.

Everything here works on arrays built once at load: per document, then mapped to passages through
`passage_doc` (the document index of each passage), so a filter costs the same at 1 or 500 documents.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ingest import package_data
from ingest.passage import Document, Passage
from .decision import join_words

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_YEAR_SPAN = re.compile(r"\b((?:19|20)\d\d)\s?[/\u2013-]\s?(\d\d)\b")     # "2013/14", "2013-14": a financial or school year
# A year a text names as the past of the document it quotes or asks about ("since the last inspection in
# 2016", from York's 2022 report): not the year of a document
_PLAIN = re.compile(r"[a-z0-9]+")
_PAST_YEAR = re.compile(r"\b(?:since|before|prior to|(?:last|previous|earlier|prior|first) (?:[\w-]+ ){0,2}?in)\s+"
                        r"(?:[A-Z][a-z]+\s+)?((?:19|20)\d\d)\b", re.I)
# A year a query gives as its document's ("Ofsted's late-2022 inspection", "the 2015 Ofsted report", "when
# Ofsted inspected in 2014"), beside one it gives as the story ("Trafford was rated inadequate in 2019")
_DOC_YEAR = re.compile(r"\b(?:19|20)\d\d(?:[/\u2013-]\d\d)?(?:\s*(?:,|and|or)\s*(?:19|20)\d\d)*\s+(?:[\w-]+\s+)?"
                       r"(?:re-)?(?:inspections?|reports?)\b|\binspect\w*\s+(?:in\s+)?(?:[A-Z][a-z]+\s+)?(?:19|20)\d\d\b", re.I)
MIN_TITLE_WORDS = 3          # a title shorter than this is too generic to count as named
HEAD_PASSAGES = 5            # a document's first passages (its title page), where the names it goes by stand
MIN_PART_CHARS = 4           # a place within a council's name ("Poole") at least this long counts as naming it
_PARTS = re.compile(r",\s*|\s+(?:and|with|&)\s+", re.I)     # "Blackburn With Darwen", as catalogues capitalise it
# "Cumbria's 2019 inspection", "the 2019 inspection of Cumbria": a capitalised name that refers to a
# document by its type (a word of an indexed document's type, filled in per index)
_NAME = r"[A-Z][\w-]+(?:\s+(?:and\s+|upon\s+|on\s+)?[A-Z][\w-]+)*"
_OPENER = re.compile(r"^(?:(?:In|At|On|For|From|By|The|What|Which|When|Where|Why|How|Who|Did|Does|Do|Was|Were|"
                     r"Is|Are|Has|Have|Had|Can|Could|Should|Would|Will|According|To|Of|And|But|So|If|After|Before)\s+)+")
# A question asking what should or must be done, naming no document, leans to the documents that set the
# rules (statutory guidance) over those that report practice (inspections): RULE_LEAN of a named document's
# weight. library-dev: three guidance questions ("How often should a child in care have their health
# needs looked at again?") rise into the top 5 (R@5 0.933 -> 0.950), none falls; at 0.6 one falls.
RULE_TYPES = ("guidance",)
RULE_LEAN = 0.3
_RULE_QUESTION = re.compile(r"\b(?:should|must|shall|ought to|(?:is|are) (?:required|expected|allowed) to|"
                            r"(?:has|have|need|needs) to)\b", re.I)
_ABOUT_INSPECTIONS = re.compile(r"\b(?:which|what|how many) (?:councils|local authorities|reports|inspections)\b|"
                                r"\b(?:Ofsted|inspectors?|inspections?|inspected)\b", re.I)   # ... unless it asks about them
# "the statutory guidance on promoting their health": a document named by a word for what it is and
# TITLE_WORDS of the words only its title has among the documents that are not inspections
_DOCUMENT_WORD = re.compile(r"\b(?:guidance|advice|framework|code of practice)\b", re.I)
TITLE_WORDS = 2
_TITLE_WORD = re.compile(r"[a-z]{4,}")
# "Apart from Rotherham itself, which councils…": a name the query sets aside (normalised text before it)
_SET_ASIDE = re.compile(r"\b(?:apart from|other than|except(?: for)?|excluding|besides|not counting|leaving aside)"
                        r"(?: the)?\s*$")
_REFERS = (r"\b(?P<a>{name})['’]s\s+(?:(?:19|20)\d\d\s+)?(?:[A-Z]\w+\s+)?(?:{types})s?\b"
           r"|\b(?:{types})s?\s+of\s+(?P<b>{name})")


@dataclass
class Filters:
    """What a search may draw on; every field optional. documents: ids, or folder prefixes ending
    in "/" ("ilacs/"). grade: an overall grade ("inadequate"), or "judgement:grade"."""
    documents: list[str] | None = None
    publisher: str | None = None
    doc_type: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    grade: str | None = None

    def __bool__(self) -> bool:
        return any(v not in (None, [], "") for v in self.__dict__.values())


def normalise_name(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("’", "'")
    return " ".join(re.sub(r"[^a-z0-9']+", " ", text).split())


class DocumentIndex:
    def __init__(self, documents: dict[str, Document], passages: list[Passage]):
        self.ids = list(documents)
        self.docs = [documents[i] for i in self.ids]
        position = self.position = {d: n for n, d in enumerate(self.ids)}
        self.passage_doc = np.array([position[p.document] for p in passages], dtype=np.int32)
        self.year = np.array([d.year or 0 for d in self.docs], dtype=np.int32)
        self.publisher = np.array([(d.publisher or "").lower() for d in self.docs], dtype=object)
        self.doc_type = np.array([(d.doc_type or "").lower() for d in self.docs], dtype=object)
        self.rules = np.isin(self.doc_type, RULE_TYPES)
        self.names: dict[str, list[int]] = {}       # normalised name -> documents it names
        self.parts: dict[str, list[int]] = {}       # a place within a council's name ("Poole") -> its documents
        self._doc_names: list[set[str]] = []       # per document: its names and places, normalised
        for n, d in enumerate(self.docs):
            names, parts = self._names_of(d), self._parts_of(d)
            for name in names:
                self.names.setdefault(name, []).append(n)
            for part in parts:
                self.parts.setdefault(part, []).append(n)
            self._doc_names.append(names | {normalise_name(x) for x in parts})
        self._title_words = self._distinct_title_words()
        self._kind_words = {n: self._what_it_is(self.docs[n]) for n in self._title_words}
        self._name_pattern = _alternatives(self.names)
        self._part_pattern = _alternatives(self.parts)      # capitalised, as a place is written
        types = {t for t in self.doc_type if t}
        self._refers = re.compile(_REFERS.format(name=_NAME, types="|".join(sorted(map(re.escape, types))))) \
            if types else None
        self._known = {normalise_name(x) for d in self.docs for x in (d.publisher, d.short_title) if x}
        self.name_words = {w for d in self.docs for x in (d.council, d.publisher, d.short_title, d.title, *self._parts_of(d))
                           if x for w in re.findall(r"[a-z]+", x.lower())}     # every word of a document's names
        heads: dict[str, list[str]] = {}
        for p in passages:
            if len(head := heads.setdefault(p.document, [])) < HEAD_PASSAGES:
                head.append(normalise_name(p.text))
        self._heads = " | ".join(" ".join(h) for h in heads.values()).join("  ")

    @staticmethod
    def _names_of(d: Document) -> set[str]:
        names = set()
        if d.council:
            names.add(normalise_name(d.council))
        if d.doc_type != "inspection":      # an inspection's title names the council, said above
            for title in (d.short_title, d.title):
                norm = normalise_name(title or "")
                if len(norm.split()) >= MIN_TITLE_WORDS:
                    names.add(norm)
        return names

    def _distinct_title_words(self) -> dict[int, set[str]]:
        """Per document that is not an inspection: the words of its titles no other such document's
        titles have ("promoting", "health", "well", "being" of Promoting the health and well-being of
        looked-after children; not "looked", which the designated teacher's guidance shares)."""
        words = {n: set(_TITLE_WORD.findall(normalise_name(f"{d.title} {d.short_title}")))
                 for n, d in enumerate(self.docs) if d.doc_type != "inspection" and not d.council}
        return {n: {w for w in ws if not any(w in other for m, other in words.items() if m != n)}
                for n, ws in words.items()}

    @staticmethod
    def _what_it_is(d: Document) -> set[str]:
        """The words for what a document is: its type ("guidance") and those its title uses ("advice")."""
        return {x.lower() for x in _DOCUMENT_WORD.findall(f"{d.doc_type or ''} {d.title} {d.short_title}")}

    def _described(self, text: str) -> list[int]:
        """The documents a normalised query describes: a word for what the document is and at least
        TITLE_WORDS of the words only its title has (of several, those that share the most)."""
        kinds = {x.lower() for x in _DOCUMENT_WORD.findall(text)}
        if not kinds:
            return []
        words = set(_TITLE_WORD.findall(text))
        shared = {n: len(words & own) for n, own in self._title_words.items() if kinds & self._kind_words[n]}
        most = max(shared.values(), default=0)
        return [n for n, k in shared.items() if k == most] if most >= TITLE_WORDS else []

    @staticmethod
    def _parts_of(d: Document) -> set[str]:
        """The places a council's name joins ("Bournemouth, Christchurch and Poole") and the other names
        it goes by (ingest/councils.toml: "Hull"): a person may name the council by one of them."""
        parts = [x.strip() for x in _PARTS.split(d.council or "")]
        joined = {x for x in parts if len(x) >= MIN_PART_CHARS} if len(parts) > 1 else set()
        return joined | set(_other_names().get((d.council or "").lower(), ()))

    # -- filters ---------------------------------------------------------------------------------
    def mask(self, f: Filters | None) -> np.ndarray:
        """Per passage: may the search return it under these filters?"""
        if not f:
            return np.ones(len(self.passage_doc), dtype=bool)
        keep = np.ones(len(self.docs), dtype=bool)
        if f.documents:
            wanted = set(f.documents)
            prefixes = tuple(w for w in wanted if w.endswith("/"))
            keep &= np.array([i in wanted or (bool(prefixes) and i.startswith(prefixes)) for i in self.ids])
        if f.publisher:
            keep &= self.publisher == f.publisher.lower()
        if f.doc_type:
            keep &= self.doc_type == f.doc_type.lower()
        if f.year_from:
            keep &= self.year >= int(f.year_from)
        if f.year_to:
            keep &= self.year <= int(f.year_to)
        if f.grade:
            judgement, _, grade = f.grade.lower().rpartition(":")
            judgement = judgement or "overall_effectiveness"
            keep &= np.array([(d.grades or {}).get(judgement, "").lower() == grade for d in self.docs])
        return keep[self.passage_doc]

    # -- documents a query names ------------------------------------------------------------------
    def hits(self, query: str, aside: bool = False) -> list[int]:
        """The documents the query names (by council or title), in the order it names them; aside: those
        it names only to set them aside ("apart from Rotherham", "other than Kent")."""
        if self._name_pattern is None:
            return []
        text = normalise_name(query)
        matches = list(self._name_pattern.finditer(text))
        set_aside = {m.group() for m in matches if _SET_ASIDE.search(text[:m.start()])}   # every mention of it
        found = [n for m in matches if (m.group() in set_aside) == aside for n in self.names[m.group()]]
        if not found and not aside and self._part_pattern is not None:
            found = [n for m in self._part_pattern.finditer(query) for n in self.parts[m.group()]]
        if not found and not aside:
            found = self._described(text)
        return list(dict.fromkeys(found))

    def other_councils(self, text: str, council: str) -> set[str]:
        """The councils other than `council` a passage's text names."""
        if self._name_pattern is None:
            return set()
        named = {self.docs[n].council for m in self._name_pattern.finditer(normalise_name(text))
                 for n in self.names[m.group()]}
        return {c for c in named if c and c != council}

    def unknown_document(self, query: str) -> str | None:
        """"an inspection of Cumbria" when the query refers to a document by a name and a type ("Cumbria's
        2019 inspection") that no indexed document goes by (in its catalogue facts or on its first page:
        "the City of London's inspection" is London Corporation's); None otherwise."""
        if self._refers is None or self.hits(query):
            return None
        for m in self._refers.finditer(query):
            name = _OPENER.sub("", m.group("a") or m.group("b"))    # capitalised for opening the sentence
            norm = normalise_name(name)
            if norm not in self._known and norm not in self.names and f" {norm} " not in self._heads:
                kind = next(t for t in self.doc_type if t and re.search(rf"\b{re.escape(t)}", m.group(), re.I))
                return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} of {name}"
        return None

    @staticmethod
    def years_of(d: Document) -> set[int]:
        """The years a document goes by: published, and for an inspection the year it took place."""
        return {d.year, int(d.date[:4]) if d.date else d.year, int(d.inspected[:4]) if d.inspected else d.year}

    def _years(self, docs: list[int]) -> set[str]:
        return {str(y) for n in docs for y in self.years_of(self.docs[n]) if y}

    def chosen(self, query: str) -> tuple[list[int], bool]:
        """The documents the query picks, and whether its year agrees: of the documents it names, those
        from a year it gives ("Cambridgeshire's 2024 inspection, after separating from Peterborough" picks
        Cambridgeshire's 2024 report; Peterborough is what it is about), else all it names. Of several
        years, one given as the past ("since the last inspection in 2016") is not the document's, and one
        given as an inspection's or a report's ("Ofsted's late-2022 inspection") is, over one in the
        story ("Trafford was rated inadequate in 2019")."""
        hits = self.hits(query)
        years = not_past(query) or years_in(query)
        exact = [n for n in hits if years & self.years_of(self.docs[n])]
        own = {y for m in _DOC_YEAR.finditer(query) for y in years_in(m.group())}
        exact = [n for n in exact if own & self.years_of(self.docs[n])] or exact
        picked = exact or hits
        owner = [n for n in picked if self._possessive(query, n)]     # "Cambridgeshire's inspection"
        return (owner if 0 < len(owner) < len(picked) else picked), bool(exact) or not years

    def _possessive(self, query: str, n: int) -> bool:
        text = normalise_name(query)
        return any(re.search(rf"\b{re.escape(name)}'s\b", text) for name in self._doc_names[n])

    def named(self, query: str) -> np.ndarray:
        """Per passage, -1..1: 1 for the documents the query picks (`chosen`: by a council or a title, and
        the year it gives); 0.5 for a name alone when the year it gives is none of theirs; -1 for the
        documents it sets aside ("apart from Rotherham, which councils…"); RULE_LEAN for guidance when
        it names none and asks what should or must be done."""
        chosen, agrees = self.chosen(query)
        score = np.zeros(len(self.docs), dtype=np.float32)
        score[chosen] = 1.0 if agrees else 0.5
        score[self.hits(query, aside=True)] = -1.0
        if not score.any() and query.rstrip().endswith("?") and _RULE_QUESTION.search(query) \
                and not _ABOUT_INSPECTIONS.search(query):
            score[self.rules] = RULE_LEAN
        return score[self.passage_doc]

    def without_names(self, query: str) -> str:
        """The query without the names of the documents it names, their years and publishers (what
        chose the documents), so what is left ranks their passages; the query itself when it names
        none, or when nothing would be left. Other years stay: "since the start of 2015, according to
        Kent's 2017 report" asks about 2015."""
        hits = self.chosen(query)[0]
        if not hits:
            return query
        words, years = set(), self._years(hits)
        for n in hits:
            d = self.docs[n]
            words |= {normalise_name(x) for x in (d.council, d.short_title, d.publisher, *self._parts_of(d)) if x}
        pattern = r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\W+") for w in sorted(words, key=len, reverse=True)
                                      if w) + r")(?:['’]s)?\b|\b(?:" + "|".join(sorted(years) or ["(?!)"]) + r")\b"
        rest = " ".join(re.sub(pattern, " ", query.replace("&", " and "), flags=re.IGNORECASE).split())
        return rest if len(rest.split()) >= 2 else query

    def without_naming_years(self, query: str) -> str:
        """The query without the years that pick the documents it names ("The 2024 government advice on
        information sharing says…"): they say which document, not a figure the text claims."""
        chosen, agrees = self.chosen(query)
        years = self._years(chosen) if agrees else set()
        if not years:
            return query
        return " ".join(_YEAR.sub(lambda m: "" if m.group() in years else m.group(), query).split())

    def missing(self, query: str) -> str | None:
        """"an inspection of Poole from 2018" when the query names documents (Poole's) and a year, and none
        of them is from that year, or refers to a document by a name no indexed document has ("Cumbria's
        2019 inspection"): the library cannot answer it, however close its passages. A year named as the
        past ("since the last inspection in 2016") is not a document's."""
        years = not_past(query)
        docs = [self.docs[n] for n in self.hits(query)] if years else []
        if not docs:
            unknown = self.unknown_document(query)
            return f"{unknown} from {join_words(sorted(years), 'or')}" if unknown and years else unknown
        if any(years & self.years_of(d) for d in docs):
            return None
        d, when = docs[0], join_words(sorted(years), "or")
        if d.council:
            kind = f"{d.doc_type or 'document'} of {d.council}"
            return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind} from {when}"
        return f"“{d.short_title}” from {when}"

    def summary(self, doc_id: str) -> dict:
        """What a result says about its document (the JSON contract's `documents`)."""
        d = self.docs[self.position[doc_id]]
        out = {"title": d.title, "short_title": d.short_title, "publisher": d.publisher, "year": d.year}
        for key in ("date", "doc_type", "council", "pages"):
            if getattr(d, key):
                out[key] = getattr(d, key)
        if d.grades:
            out["grades"] = d.grades
        return out


# A name of two or more capitalised words, not opening a sentence, joined at most by a small word: a
# programme, a service or an organisation ("Achieving for Children", "Family Safeguarding", "No Wrong Door")
_NAME_PHRASE = re.compile(r"(?<![.?!:;\"“]\s)(?<!^)\b([A-Z][\w'’-]+(?:\s+(?:(?:of|for|and|my|the|in|on|to)\s+)?"
                          r"[A-Z][\w'’-]+)+)")


def years_in(text: str) -> set[int]:
    """The years a text gives: "2014", and both of "2013/14"."""
    years = {int(y) for y in _YEAR.findall(text)}
    return years | {int(a) + 1 for a, b in _YEAR_SPAN.findall(text) if (int(a) + 1) % 100 == int(b)}


def not_past(text: str) -> set[int]:
    """The years a text gives (`years_in`) but not as the past ("since the last inspection in 2016")."""
    return years_in(text) - {int(y) for y in _PAST_YEAR.findall(text)}


def name_phrases(text: str) -> list[str]:
    """The names of two or more words in a text (as `plain_words`, no possessive): a passage that
    answers a question about "Achieving for Children" names it, where its common words alone ("achieving",
    "children") are in every report."""
    return [plain_words(re.sub(r"['’]s\b", "", m)) for m in _NAME_PHRASE.findall(text)]


_TITLE_CASE = re.compile(r"(?:[A-Z][a-z]+|of|for|and|my|the|in|on|to)")
_MONTH = re.compile(r"January|February|March|April|May|June|July|August|September|October|November|December")


def programme_names(text: str) -> list[str]:
    """The names of several words in a text (`name_phrases`) written as a programme, a model or a body is
    named: every word title case or a small joining word, no acronym, possessive or month ("Safe and
    Together", "Care Inspectorate Wales"; not "York SCR", "Asperger's Syndrome", "Ofsted November")."""
    return [m for m in _NAME_PHRASE.findall(text)
            if all(_TITLE_CASE.fullmatch(w) and not _MONTH.fullmatch(w) for w in m.split())]


def plain_words(text: str) -> str:
    """A text as its words alone, lower case, one space apart: "Social care, and inspects" is
    "social care and inspects". Phrases are matched, and repeated passages found, on this form."""
    return " ".join(_PLAIN.findall(text.lower()))


@lru_cache(maxsize=1)
def _other_names() -> dict[str, tuple[str, ...]]:
    """council (lower case) -> the other names it goes by (ingest/councils.toml)."""
    return {k.lower(): tuple(v) for k, v in package_data("councils.toml").get("other_names", {}).items()}


def _alternatives(names, flags=0) -> re.Pattern | None:
    """One pattern matching any of `names` as whole words, longest first."""
    alternatives = sorted(names, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b", flags) if alternatives else None
