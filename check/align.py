"""Deterministic alignment of typed-from-memory quotes and figures against a report's text: rapidfuzz
finds the window on a string of word keys; word-level LCS (Indel) opcodes give the differences."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import accumulate, groupby
from typing import NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel, Levenshtein

_TABLE = str.maketrans({**dict.fromkeys("‘’‚‛′`", "'"), **dict.fromkeys("“”„″", '"'),
                        **dict.fromkeys("–—‒―‐‑−", "-"), "…": "..."})
_U = "one|two|three|four|five|six|seven|eight|nine"
_TEEN = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_B100 = rf"(?:(?:{_TENS})(?:[- ](?:{_U}))?|{_TEEN}|{_U}|zero)"
_B1000 = rf"(?:(?:{_B100}|a) hundred(?: (?:and )?{_B100})?|{_B100})"
_MONTHS = "january february march april may june july august september october november december".split()
_PCT = r" ?%| per ?cent\b"
_TOKEN = re.compile(  # on normalised text; number patterns first, then any word
    r"(?P<date>\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b)"
    rf"|(?P<ldate>\b\d{{1,2}} (?:{'|'.join(_MONTHS)}) (?:19|20)\d\d\b)"
    r"|(?P<yrange>\b(?:19|20)\d\d ?[-/] ?(?:(?:19|20)\d\d|\d\d)\b)"
    r"|(?P<frac>\b(?:(?:a|one) (?:half|quarter)|(?:one|two) thirds?|three quarters|a third(?= of\b))\b)"
    rf"|(?P<words>\b(?:{_B1000} thousand(?: (?:and )?{_B1000})?|{_B1000})\b)(?P<pct1>{_PCT})?"
    rf"|(?P<digits>(?<![\w.])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?![^\W_])(?P<pct2>{_PCT})?"
    r"|(?P<word>[^\W_]+(?:['-][^\W_]+)*)")
_WORDVAL = {w: i for i, w in enumerate(f"zero {_U} {_TEEN}".replace("|", " ").split())}
_WORDVAL.update({w: 20 + 10 * i for i, w in enumerate(_TENS.split("|"))})
_FRACVAL = {"half": 0.5, "quarter": 0.25, "quarters": 0.25, "third": 1 / 3, "thirds": 1 / 3}
# British/US spelling: a few common pairs as data, then general ending rules (British -> US).
_VARIANTS = {"programme": "program", "grey": "gray", "enrol": "enroll", "enrolment": "enrollment",
             "fulfil": "fulfill", "fulfilment": "fulfillment", "skilful": "skillful", "wilful": "willful",
             "sceptical": "skeptical", "ageing": "aging", "mould": "mold", "practise": "practice",
             "practised": "practiced", "licence": "license", "defence": "defense", "offence": "offense",
             "judgement": "judgment", "acknowledgement": "acknowledgment", "tyre": "tire", "plough": "plow"}
_RULES = [(re.compile(r"(?<=\w\w)is(e|es|ed|ing|ation|ations|ational|able|er|ers)$"), r"iz\1"),
          (re.compile(r"(?<=\w\w)ys(e|es|ed|ing)$"), r"yz\1"),
          (re.compile(r"(?<=\w\w\w)our(s|ed|ing|ite|ites|able|ably|al|hood|hoods|less|ful)?$"), r"or\1"),
          (re.compile(r"(?<=\w\w[ae])ll(ed|ing|er|ers)$"), r"l\1"),
          (re.compile(r"(?<=[^aeiou\W])ae(?=\w\w)"), "e"),
          (re.compile(r"(?<=[^aeiou\W])oe(?=[^s\W]\w)"), "e"),
          (re.compile(r"ogue(s)?$"), r"og\1"),
          (re.compile(r"(?<=\w)([btv])re(s|d)?$"), lambda m: m[1] + "er" + {"d": "ed"}.get(m[2], m[2] or ""))]
# Real words are never typos of one another ("than"/"then"): these (4+ letters), and the text's own.
_COMMON = frozenset("""than then that this thus these those there their they them were where what when which
with from form have been does each more most much many only also very some such into over under after before
about above below while since until both same just well even still once here could would should might must""".split())
SPELLING_COST = 0.25      # a spelling variant or typo costs a quarter of a changed word
MAX_ELISION_CHARS = 2000  # how far apart (in key characters) the parts of an elided quote may be


# A word or number: its normalised text and span there, its key (spelling-normalised word, or
# "#<value>", "#<value>%" for a percentage), and (kind, value) for a number.
_Tok = NamedTuple("_Tok", [("text", str), ("key", str), ("start", int), ("end", int), ("num", tuple)])
# A prepared text: nmap maps normalised to source offsets; kstr is the keys joined by single spaces
# (what rapidfuzz searches) and kstarts the offset of each key in it.
_Doc = NamedTuple("_Doc", [("text", str), ("norm", str), ("nmap", list), ("toks", list), ("keys", list),
                           ("kstr", str), ("kstarts", list), ("vocab", frozenset)])


class _AsDict:
    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Number(_AsDict):
    text: str
    value: int | float | str  # str for a date ("2010-08-12") or a year range ("2009-2010")
    kind: str                 # count, percent, fraction, year, year-range, date
    start_char: int
    end_char: int


@dataclass
class Difference(_AsDict):
    op: str          # how the query deviates: replace, insert (query adds words), delete (query omits)
    query: str
    source: str
    kind: str        # spelling, word, number, elision
    start_char: int  # span of `source` in the text (empty, at the insertion point, for an insert)
    end_char: int
    query_value: int | float | str | None = None  # for kind "number"
    source_value: int | float | str | None = None


@dataclass
class Alignment(_AsDict):
    start_char: int
    end_char: int
    text: str
    score: float  # 0-100: 100 less each difference's cost as a share of the query's words
    differences: list[Difference] = field(default_factory=list)
    parts: list[tuple[int, int]] = field(default_factory=list)  # a span per "..."-separated part


@dataclass
class FigureDiff(_AsDict):
    query: str
    source: str
    query_value: int | float | str
    source_value: int | float | str
    query_kind: str
    source_kind: str
    start_char: int
    end_char: int


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Lower-case, straight quotes, '-' dashes, no bullets, single spaces; and each char's source offset."""
    out: list[str] = []
    offs: list[int] = []
    for m in re.finditer(r"[^\s·•]+", text):
        if out:
            out.append(" ")
            offs.append(offs[-1] + 1)  # the first blank after the previous run
        piece = m[0].translate(_TABLE).lower()
        if len(piece) == len(m[0]):
            offs.extend(range(m.start(), m.end()))
        else:  # a character became several ("…" -> "...")
            reps = [ch.translate(_TABLE).lower() for ch in m[0]]
            piece = "".join(reps)
            offs.extend(i for i, rep in enumerate(reps, m.start()) for _ in rep)
        out.append(piece)
    return "".join(out), offs


@lru_cache(maxsize=65536)
def spelling_key(word: str) -> str:
    """A key under which British and US spellings (and hyphenations) of a word coincide."""
    w = word.replace("-", "").replace("'", "")
    if w in _VARIANTS or (w.endswith("s") and w[:-1] in _VARIANTS):
        return _VARIANTS.get(w) or _VARIANTS[w[:-1]] + "s"
    for rx, rep in _RULES:
        w = rx.sub(rep, w)
    return w


def _number(m: re.Match) -> tuple[str, int | float | str]:
    s, plain = m[0], lambda v: int(v) if float(v).is_integer() else round(v, 4)
    if m["date"] or m["ldate"]:  # day first, as in the UK
        d, mo, y = s.split("/") if m["date"] else s.split()
        mo, y = int(mo) if m["date"] else _MONTHS.index(mo) + 1, int(y) + (2000 if len(y) == 2 else 0)
        return "date", f"{y:04d}-{mo:02d}-{int(d):02d}"
    if m["yrange"]:
        a, b = re.findall(r"\d+", s)
        end = int(b) if len(b) == 4 else int(a[:2] + b) + (100 if int(b) < int(a[2:]) else 0)
        return "year-range", f"{a}-{end}"
    if m["frac"]:
        n, unit = s.split()
        return "fraction", plain((3 if n == "three" else 2 if n == "two" else 1) * _FRACVAL[unit])
    if m["words"]:
        total = cur = 0
        for w in re.split(r"[- ]+", m["words"]):
            cur = cur + _WORDVAL[w] if w in _WORDVAL else (cur or 1) * 100 if w == "hundred" else cur
            total, cur = (total + (cur or 1) * 1000, 0) if w == "thousand" else (total, cur)
        return ("percent" if m["pct1"] else "count"), total + cur
    raw = m["digits"]
    kind = "percent" if m["pct2"] else "year" if re.fullmatch(r"(19|20)\d\d", raw) else "count"
    return kind, plain(float(raw.replace(",", "")))


@lru_cache(maxsize=16)   # a long document's prepared form is ~15 MB: 64 of a library's held 1 GB in memory
def _prepare(text: str) -> _Doc:
    norm, nmap = normalise_with_map(text)
    toks = []
    for m in _TOKEN.finditer(norm):
        num = None if m["word"] else _number(m)
        key = f"#{num[1]}{'%' * (num[0] == 'percent')}" if num else spelling_key(m[0])
        toks.append(_Tok(m[0], key, m.start(), m.end(), num))
    keys = [t.key for t in toks]
    kstarts = list(accumulate((len(k) + 1 for k in keys[:-1]), initial=0)) if keys else []
    return _Doc(text, norm, nmap, toks, keys, " ".join(keys), kstarts, frozenset(keys) | _COMMON)


def _src(doc: _Doc, a: int, b: int) -> tuple[int, int]:
    """Source span of tokens a..b (empty, at token a's start, when a == b)."""
    if a >= b:
        pos = doc.nmap[doc.toks[a].start] if a < len(doc.toks) else len(doc.text)
        return pos, pos
    return doc.nmap[doc.toks[a].start], doc.nmap[doc.toks[b - 1].end - 1] + 1


def extract_numbers(text: str) -> list[Number]:
    """Digit and word cardinals (below a million), percentages, simple fractions, years, dates."""
    doc = _prepare(text)
    spans = [(_src(doc, i, i + 1), t.num) for i, t in enumerate(doc.toks) if t.num]
    return [Number(text[s:e], value, kind, s, e) for (s, e), (kind, value) in spans]


def find_verbatim(query: str, text: str) -> list[tuple[int, int]]:
    """Every source span equal to the query ignoring case, quote style, dashes and spacing."""
    q = normalise_with_map(query)[0]
    for _ in range(3):  # surrounding quote marks, trailing punctuation, a leading elision
        q = q.strip(" '\"").rstrip(".,;:!?").lstrip(".")
    if not q:
        return []
    pattern = (r"(?<!\w)" if q[0].isalnum() else "") + re.escape(q) + (r"(?!\w)" if q[-1].isalnum() else "")
    doc = _prepare(text)
    return [(doc.nmap[m.start()], doc.nmap[m.end() - 1] + 1) for m in re.finditer(pattern, doc.norm)]


def _typo(a: str, b: str) -> bool:
    """A small edit distance on a long enough word, and not just an inflection (-s, -ed, -ing)."""
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short) and long_[len(short):] in ("s", "es", "d", "ed", "ing"):
        return False
    d = OSA.distance(a, b)
    return (d == 1 and len(short) >= 4) or (d == 2 and len(short) >= 8)


def _edge(region: list[tuple], lead: bool, q: _Doc, doc: _Doc) -> list[tuple]:
    """The changes before the first match (lead) or after the last: a spelling ("pre birth"/"pre-birth"),
    changed words within the matched sentence, and the rest of the query's words as additions."""
    if not region:
        return []
    s0, s1, q0, q1 = region[0][1], region[-1][2], region[0][3], region[-1][4]
    joined = "".join(q.keys[q0:q1])
    for cut in range(s1 - 1, s0 - 1, -1) if lead else range(s0 + 1, s1 + 1):  # the source words nearest
        near = "".join(doc.keys[cut:s1] if lead else doc.keys[s0:cut])       # the match, joined
        if near == joined:
            return [("replace", cut, s1, q0, q1) if lead else ("replace", s0, cut, q0, q1)]
        if len(near) >= len(joined):
            break
    n = 0  # edge words paired up as changed words, out from the match, within its sentence
    while n < min(s1 - s0, q1 - q0) and not re.search(r"[.!?]", doc.norm[
            doc.toks[s1 - 1 - n].end:doc.toks[s1 - n].start] if lead else doc.norm[
            doc.toks[s0 + n - 1].end:doc.toks[s0 + n].start]):
        n += 1
    if lead:
        return [("insert", s1 - n, s1 - n, q0, q1 - n)] * (q1 - q0 > n) + [("replace", s1 - n, s1, q1 - n, q1)] * (n > 0)
    return [("replace", s0, s0 + n, q0, q0 + n)] * (n > 0) + [("insert", s0 + n, s0 + n, q0 + n, q1)] * (q1 - q0 > n)


def _edges(ops: list[tuple], q: _Doc, doc: _Doc) -> list[tuple]:
    """Source words beyond the first and last matched words are not in the span."""
    eq = [i for i, o in enumerate(ops) if o[0] == "equal"]
    if not eq:
        return [o for o in ops if o[0] != "delete"]
    return _edge(ops[:eq[0]], True, q, doc) + ops[eq[0]:eq[-1] + 1] + _edge(ops[eq[-1] + 1:], False, q, doc)


def _overhang(ops: list[tuple]) -> int | None:
    """Index of the op ending the longest prefix with more unmatched source words than matched ones."""
    gain, top, at = 0, 0, None
    for i, o in enumerate(ops):
        gain += (o[2] - o[1]) * {"delete": 1, "equal": -1}.get(o[0], 0)
        top, at = (gain, i) if gain > top else (top, at)
    return at


def _locate(needle: str, doc: _Doc, lo: int, hi: int, side: int) -> tuple[int, int]:
    """Tokens of the best window for needle within tokens lo..hi; for side 1 (-1) the window nearest
    after lo (before hi) of those matching best."""
    c0, c1 = (doc.kstarts[t] if t < len(doc.toks) else len(doc.kstr) for t in (lo, hi))
    best = (-1.0, c0, c1)
    for reach in (len(needle) + 200, len(needle) + MAX_ELISION_CHARS) if side else (c1 - c0,):
        w0, w1 = (c0, min(c1, c0 + reach)) if side >= 0 else (max(c0, c1 - reach), c1)
        r = fuzz.partial_ratio_alignment(needle, doc.kstr[w0:w1]) if len(needle) < w1 - w0 else None
        hit = (r.score, w0 + r.dest_start, w0 + r.dest_end) if r else (0.0, w0, w1)
        best = hit if hit[0] > best[0] else best
    return bisect_right(doc.kstarts, best[1]) - 1, bisect_left(doc.kstarts, best[2])


def _align_part(q: _Doc, qi: range, doc: _Doc, lo: int, hi: int, side: int = 0) -> list[tuple]:
    """Word-level opcodes (tag, src_start, src_end, q_start, q_end) for the query tokens qi."""
    qkeys = q.keys[qi.start:qi.stop]
    t0, t1 = _locate(" ".join(qkeys), doc, lo, hi, side)
    ext = 2 + len(qkeys) // 4
    a, b = max(lo, t0 - ext), min(hi, max(t1, t0 + 1) + ext)
    window, akeys = list(dict.fromkeys(doc.keys[a:b])), []
    for key, tok in zip(qkeys, q.toks[qi.start:qi.stop]):  # snap a typo onto the word it damages
        near = None if tok.num or key in doc.vocab else process.extractOne(
            key, window, scorer=OSA.distance, score_cutoff=2)
        akeys.append(near[0] if near and _typo(key, near[0]) else key)
    for _ in range(3):  # longest common word subsequence; then cut matches stranded beyond the quote
        ops = [(o.tag, o.src_start + a, o.src_end + a, o.dest_start + qi.start, o.dest_end + qi.start)
               for o in Indel.opcodes(doc.keys[a:b], akeys)]
        eq = [i for i, o in enumerate(ops) if o[0] == "equal"]
        h, t = (_overhang(ops[:eq[-1]]), _overhang(ops[:eq[0]:-1])) if eq else (None, None)
        na, nb = a, b  # leaving room for the query's unmatched words to match nearer
        if h is not None:
            na = max(a, ops[h][2] - (ops[next(i for i in eq if i > h)][3] - qi.start))
        if t is not None:
            t = len(ops) - 1 - t
            nb = min(b, ops[t][1] + (qi.stop - ops[max(i for i in eq if i < t)][4]))
        if (na, nb) == (a, b) or na >= nb:
            break
        a, b = na, nb
    return _edges(ops, q, doc)


def _diffs(ops: list[tuple], q: _Doc, doc: _Doc) -> tuple[list[Difference], float]:
    recs: list[list] = []  # [op, q_start, q_end, src_start, src_end, kind, cost] in token indices

    def add(op, qa, qb, sa, sb, kind, cost):
        last = recs[-1] if recs else None
        if last and kind == "word" == last[5] and (last[2], last[4]) == (qa, sa):  # adjacent: one diff
            last[2], last[4], last[6] = qb, sb, last[6] + cost
            last[0] = "replace" if last[1] < qb and last[3] < sb else op
        else:
            recs.append([op, qa, qb, sa, sb, kind, cost])

    def pairs(s, e, qs):  # matched words: a spelling variant or typo, or a figure against a figure
        for m in range(e - s):
            qt, st = q.toks[qs + m], doc.toks[s + m]
            if qt.num and st.num and qt.key != st.key:
                add("replace", qs + m, qs + m + 1, s + m, s + m + 1, "number", 1.0)
            elif qt.text != st.text:
                add("replace", qs + m, qs + m + 1, s + m, s + m + 1, "spelling", SPELLING_COST)

    def masked(toks):
        return ["#" if t.num else t.key for t in toks]

    i = 0
    while i < len(ops):
        j = i + 1
        while ops[i][0] != "equal" and j < len(ops) and ops[j][0] != "equal":
            j += 1  # a run of changes between two matches
        s0, s1, q0, q1 = ops[i][1], ops[j - 1][2], ops[i][3], ops[j - 1][4]
        if ops[i][0] == "equal":
            pairs(s0, s1, q0)
        elif s0 < s1 and q0 < q1 and "".join(q.keys[q0:q1]) == "".join(doc.keys[s0:s1]):
            add("replace", q0, q1, s0, s1, "spelling", SPELLING_COST)  # "pre birth" / "pre-birth"
        else:  # pair the run's words up, figures with figures
            for o in Levenshtein.opcodes(masked(doc.toks[s0:s1]), masked(q.toks[q0:q1])):
                s, e, qs, qe = o.src_start + s0, o.src_end + s0, o.dest_start + q0, o.dest_end + q0
                if o.tag == "equal":
                    pairs(s, e, qs)
                else:
                    add(o.tag, qs, qe, s, e, "word", float(max(qe - qs, e - s)))
        i = j
    out = []
    for op, qa, qb, sa, sb, kind, _ in recs:
        (qs, qe), (s, e) = _src(q, qa, qb), _src(doc, sa, sb)
        vals = (q.toks[qa].num[1], doc.toks[sa].num[1]) if kind == "number" else (None, None)
        out.append(Difference(op, q.text[qs:qe], doc.text[s:e], kind, s, e, *vals))
    return out, sum(r[6] for r in recs)


def align(query: str, text: str, *, min_score: float = 50.0) -> Alignment | None:
    """Best near-verbatim alignment of `query` within `text`; None when it scores under `min_score`.
    A "..." (or "…") in the query splits it into parts aligned in order; what they skip is an elision."""
    q, doc = _prepare(query), _prepare(text)
    cuts = [m.start() for m in re.finditer(r"\.(?: ?\.){2,}", q.norm)]
    groups = groupby(range(len(q.toks)), key=lambda i: bisect_left(cuts, q.toks[i].start))
    parts = [range(g[0], g[-1] + 1) for g in (list(v) for _, v in groups)]
    if not parts or not doc.toks:
        return None
    n = len(doc.toks)
    anchor = max(range(len(parts)), key=lambda i: len(parts[i]))  # the longest part, anywhere
    found: list[list[tuple]] = [[] for _ in parts]
    found[anchor] = _align_part(q, parts[anchor], doc, 0, n)
    for i in [*range(anchor + 1, len(parts)), *range(anchor - 1, -1, -1)]:  # the rest, nearby
        after = i > anchor
        lo = max(o[2] for o in found[i - 1]) if after else 0
        hi = n if after else min(o[1] for o in found[i + 1])
        found[i] = _align_part(q, parts[i], doc, lo, hi, 1 if after else -1)
    diffs, cost, spans = [], 0.0, []
    for ops in found:
        a, b = min(o[1] for o in ops), max(o[2] for o in ops)
        if spans and a > spans[-1][1]:
            s, e = _src(doc, spans[-1][1], a)
            diffs.append(Difference("delete", "...", text[s:e], "elision", s, e))
        spans.append((a, b))
        d, c = _diffs(ops, q, doc)
        diffs, cost = diffs + d, cost + c
    start, end = _src(doc, spans[0][0], spans[-1][1])
    score = round(max(0.0, 100.0 * (1 - cost / len(q.toks))), 1)
    if end <= start or score < min_score:
        return None
    return Alignment(start, end, text[start:end], score, diffs, [_src(doc, a, b) for a, b in spans])


def compare_figures(query: str, passage_text: str, alignment: Alignment | None = None) -> list[FigureDiff]:
    """Figures the query states where the aligned passage states a different value (words == digits).
    Pass the `alignment` of this query against this passage_text if there is one already."""
    al = alignment or align(query, passage_text, min_score=0.0)
    if al is None:
        return []
    kinds = {(x.start_char, x.end_char): x.kind for x in extract_numbers(passage_text)}
    qkinds = {x.text: x.kind for x in extract_numbers(query)}
    return [FigureDiff(d.query, d.source, d.query_value, d.source_value, qkinds.get(d.query, "count"),
                       kinds.get((d.start_char, d.end_char), "count"), d.start_char, d.end_char)
            for d in al.differences if d.kind == "number"]
