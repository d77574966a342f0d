"""UK child-safeguarding glossary (data: glossary.toml) for query expansion and user notes.

Whole-word, case-insensitive matching tolerant of plural -s, hyphen/space and curly apostrophes;
abbreviations match as "GP", "Gp" or "gp" (+"s"), so "GPs" matches but "GPS" and "laptop" don't.
Where matches overlap the longest wins."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("glossary.toml")
_KEYS = {"term", "aliases", "definition", "gloss", "case_sensitive"}
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]+")
_TIDY = str.maketrans({c: "'" for c in "\u2018\u2019\u02bc`\u00b4"} | {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014"})
_PLURAL = "(?:s|'s|s')?"


class GlossaryError(ValueError):
    """The glossary file is malformed."""


@dataclass(frozen=True)
class Entry:
    term: str
    aliases: tuple[str, ...]
    definition: str
    gloss: str = ""

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)

    @property
    def note(self) -> str:
        """Short display string, e.g. "looked after child = child in local authority care"."""
        return f"{self.term} = {self.gloss or (self.aliases[0] if self.aliases else self.definition)}"


def _tidy(text: str) -> str:
    return text.translate(_TIDY)


def _pattern(phrase: str, *, tolerant: bool = True, exact_case: bool = False) -> re.Pattern:
    """Whole-word regex for a phrase; tolerant=False keeps spaces, hyphens and apostrophes literal."""
    phrase = " ".join(_tidy(phrase).split())
    if tolerant and _ACRONYM.fullmatch(phrase):
        forms = [phrase + _PLURAL] + ([] if exact_case else [phrase.capitalize() + _PLURAL, phrase.lower()])
        return re.compile(rf"(?<!\w)(?:{'|'.join(forms)})(?!\w)")
    parts = re.split(r"( |-)", phrase)
    words = [re.escape(w) for w in parts[::2]]
    if re.search(r"[^aeiou]y$", parts[-1], re.I):  # city -> cities
        words[-1] = re.escape(parts[-1][:-1]) + "(?:y|ie)"
    if tolerant:
        words = ["'?".join(w.split("'")) for w in words]
        seps = [r"(?:\s+|\s*-\s*)" if s == " " else r"(?:\s*-\s*|\s+)?" for s in parts[1::2]]
    else:
        seps = [r"\s+" if s == " " else "-" for s in parts[1::2]]
    body = "".join(w + s for w, s in zip(words, seps + [""]))
    return re.compile(rf"(?<!\w){body}{_PLURAL}(?!\w)", 0 if exact_case else re.IGNORECASE)


def _key(phrase: str) -> str:
    """Collision key: phrases of two entries with the same key could match the same text."""
    k = re.sub(r"[\s'-]", "", _tidy(phrase).lower())
    return k[:-3] + "y" if k.endswith("ies") else k.removesuffix("s")


class Glossary:
    def __init__(self, entries: list[Entry], exact: list[set[str]]):
        self.entries = tuple(entries)
        self._patterns = [(_pattern(p, exact_case=p in exact[i]), i) for i, e in enumerate(entries) for p in e.phrases]
        self._literal = [[_pattern(p, tolerant=False) for p in e.phrases] for e in entries]

    def _matched(self, query: str) -> list[int]:
        text, taken = _tidy(query), []
        spans = [(m.start(), m.end(), i) for rx, i in self._patterns for m in rx.finditer(text)]
        for s, e, i in sorted(spans, key=lambda t: (t[0] - t[1], t[0], t[2])):  # longest, then leftmost
            if all(e <= a or s >= b for a, b, _ in taken):
                taken.append((s, e, i))
        return list(dict.fromkeys(i for _, _, i in sorted(taken)))

    def match(self, query: str) -> list[Entry]:
        """Entries whose term or an alias occurs in the query, in order of appearance."""
        return [self.entries[i] for i in self._matched(query)]

    def mentions(self, text: str) -> list[Entry]:
        """Entries with any phrase anywhere in text, even inside a longer match."""
        text = _tidy(text)
        return [self.entries[i] for i in dict.fromkeys(i for rx, i in self._patterns if rx.search(text))]

    def additions(self, query: str) -> list[str]:
        """Each matched entry's term and aliases that the query does not already have, in order."""
        seen, added = _tidy(query), []
        for i in self._matched(query):
            for phrase, literal in zip(self.entries[i].phrases, self._literal[i]):
                if not literal.search(seen):
                    added.append(phrase)
                    seen += "; " + _tidy(phrase)
        return added

    def expand(self, query: str) -> str:
        """The query plus, in parentheses, its `additions`."""
        added = self.additions(query)
        return f"{query} ({'; '.join(added)})" if added else query


def load_glossary(path: str | Path | None = None) -> Glossary:
    """Read and validate the glossary TOML (default: glossary.toml next to this module)."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("entry")
    except tomllib.TOMLDecodeError as err:
        raise GlossaryError(f"{path}: not valid TOML: {err}") from err
    if not isinstance(raw, list) or not raw or not all(isinstance(x, dict) for x in raw):
        raise GlossaryError(f"{path}: expected a list of [[entry]] tables")
    entries, exact, owner = [], [], {}
    for n, item in enumerate(raw, 1):
        where = f"{path}: entry {n} ({item.get('term')!r})"
        fail = lambda msg: GlossaryError(f"{where}: {msg}")  # noqa: E731
        for key in ("term", "definition"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise fail(f"missing or empty '{key}'")
        if unknown := set(item) - _KEYS:
            raise fail(f"unknown keys {sorted(unknown)}")
        aliases, cased = item.get("aliases", []), item.get("case_sensitive", [])
        for key, val in (("aliases", aliases), ("case_sensitive", cased)):
            if not isinstance(val, list) or not all(isinstance(a, str) and a.strip() for a in val):
                raise fail(f"'{key}' must be a list of non-empty strings")
        entry = Entry(item["term"].strip(), tuple(a.strip() for a in aliases),
                      " ".join(item["definition"].split()), str(item.get("gloss", "")).strip())
        if stray := set(cased) - set(entry.phrases):
            raise fail(f"case_sensitive names phrases it does not have: {sorted(stray)}")
        literal: set[str] = set()
        for phrase in entry.phrases:
            if re.search(r"[();]", phrase) or not re.search(r"\w", phrase):
                raise fail(f"phrase {phrase!r} must have a word and no ( ) ;")
            if (lit := " ".join(_tidy(phrase).lower().split())) in literal:
                raise fail(f"phrase {phrase!r} is listed twice")
            literal.add(lit)
            if (other := owner.setdefault(_key(phrase), (n, entry.term)))[0] != n:
                raise fail(f"alias {phrase!r} maps to two terms: {other[1]!r} and {entry.term!r}")
        entries.append(entry)
        exact.append(set(cased))
    return Glossary(entries, exact)
