"""What a claim states besides its words, against what a passage states: figures (counts, shares,
years), causes and counts in words. `check` uses these to tell a paraphrase from a claim that adds
to its source ("not stated") and from one whose figures differ.
"""
from __future__ import annotations

import re

from search.answer_types import TYPES
from search.decision import THRESHOLDS
from .align import compare_figures, extract_numbers

FIGURE_POOL = 10             # where a claim whose figures its closest passage lacks is looked for with others
CLOSE_SHARE = 0.05           # "just over a third" states 35%: a fraction and a percentage this close agree
# Figure kinds that can be compared with one another; a year never "differs" from a count.
FAMILY = {"count": "n", "percent": "p", "fraction": "p", "year": "y", "year-range": "y", "date": "d"}


# What a claim may add to its source besides figures: a cause, and a count in words ("hundreds of families").
_CAUSE = re.compile(r"\b(?:because(?: of)?|due to|owing to|as a result of|caused by|(?:led|leads|leading) to|"
                    r"(?:resulted|results|resulting) in|blamed?\b.{0,60}\bfor)\b[^.;]*", re.I)
_CAUSE_STATED = re.compile(r"\b(?:because|due to|owing to|as a result|caus\w*|led to|leads? to|leading to|"
                           r"result\w*|blam\w*|reasons?|therefore|consequen\w*|attribut\w*|contribut\w*|"
                           r"factors?|so that|meant that|means that|since|linked to|explain\w*)\b", re.I)
_VAGUE_COUNT = re.compile(r"\b(dozens|scores|hundreds|thousands|millions)\s+of\b", re.I)
_VAGUE_LEAST = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2000, "millions": 2_000_000}


_N = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several)"
# Facts a claim states in words, with the kind of fact a passage must give to state them (answer_types):
_CLAIMED = (
    ("duration", re.compile(rf"(?<![\w-])(?<!once )(?<!twice )(?<!times )(?<!per )(?<!every ){_N} (?:hours?|days?|weeks?|months?|years?)\b(?![- ]old)", re.I)),
    ("frequency", re.compile(r"\b(?:once|twice|\d+ times|(?:two|three|four) times) (?:a|an|per|every) "
                             r"(?:day|week|fortnight|month|term|year)\b|\bevery (?:\w+ )?(?:days?|weeks?|fortnights?|"
                             r"months?|terms?|years?)\b|\b(?:daily|weekly|fortnightly|monthly|annually|yearly)\b", re.I)),
    ("share", re.compile(r"\b(?:fewer|less|more) than (?:half|a third|a quarter)\b|\b(?:most|the majority|"
                         r"a minority|half|a third|a quarter|two thirds|three quarters) of\b", re.I)),
)
_SHARE_WORDS = re.compile(r"\b(?:most|many|majority|minority|almost all|nearly all|few)\b"
                          r"|\b\d[\d,]* (?:of|out of) (?:the |these |those )?\d"          # "119 of the 150"
                          r"|\bof (?:the |these |those )?\d[\d,]* [\w ]{0,40}, \d", re.I)  # "Of the 150 children, 119"


_KINDS = {t.name: t for t in TYPES}
CLAIMED = tuple((_KINDS[name], pattern) for name, pattern in _CLAIMED)   # (answer type, its pattern in a claim)


def additions(claim: str, text: str, around: str) -> list[str]:
    """What `claim` adds that its closest passage (`text`; `around`: with its neighbours) does not state:
    a cause where the passage gives none ("… because medical staff did too little"), a count in words
    larger than any count around it gives ("hundreds of families")."""
    out = []
    if (cause := _CAUSE.search(claim)) and not _CAUSE_STATED.search(text):
        out.append(f"a cause (“{short(cause.group().strip(), 50)}”)")
    counts = [n.value for n in extract_numbers(around) if n.kind == "count" and n.value is not None]
    for m in _VAGUE_COUNT.finditer(claim):
        if not any(v >= _VAGUE_LEAST[m.group(1).lower()] for v in counts):
            out.append(f"a count (“{m.group(1)}”)")
    for kind, pattern in CLAIMED:      # a length of time, a frequency, a share the passage never gives
        given = (kind.gives.search(around) or _SHARE_WORDS.search(around)) if kind.name == "share" \
            else pattern.search(around)       # as precise as the claim: "regularly" does not state "weekly"
        if (m := pattern.search(claim)) and not given:
            out.append(f"{kind.wants} (“{m.group().strip()}”)")
    return out


def other_figures(searcher, query: str, order: list[int], scores: dict, top: int) -> tuple[int, list] | None:
    """(passage, figure differences) for the passage among the first FIGURE_POOL results closest in meaning
    (at least says_min) whose shares pair with the claim's and differ ("24%" where it says "18%"), when
    the top passage does not state the claim's figures; None when there is none. Shares only: a count
    pairs too easily with an unrelated one ("14-year-old" with "six children") in passages ranked lower."""
    found = []
    for i in order[:FIGURE_POOL]:
        p = searcher.passages[i]
        if i == top or float(scores["dense_sentence"][i]) < THRESHOLDS.says_min:
            continue
        figs = [d for d in figure_diffs(query, p, document_text(searcher, p.document)) if FAMILY[d["query_kind"]] == "p"]
        if figs:
            found.append((float(scores["dense_sentence"][i]), i, figs))
    return max(found, key=lambda x: x[0])[1:] if found else None


def claim_figures(text: str) -> list:
    """The counts, percentages and fractions a claim states (not years or dates, which place it in
    time, and not a lone "one", which is more often a word than a figure)."""
    return [n for n in extract_numbers(text) if FAMILY.get(n.kind) in ("n", "p") and n.text.lower() != "one"]


def unstated(figures, text: str) -> list:
    """The figures that `text` does not state, comparing values: "seventy-seven" states 77, and a
    fraction states a percentage within CLOSE_SHARE of it."""
    def value(n):
        return n.value / 100 if n.kind == "percent" else n.value
    stated = [(FAMILY[n.kind], value(n)) for n in extract_numbers(text) if FAMILY.get(n.kind) in ("n", "p")]
    return [f for f in figures
            if not any(fam == FAMILY[f.kind] and (v == value(f) or fam == "p" and abs(v - value(f)) <= CLOSE_SHARE)
                       for fam, v in stated)]


def figure_diffs(query: str, p, doc_text: str) -> list[dict]:
    """Figures the query states where passage p states another: figures paired by the word alignment
    (prose), or for a table row its cells, each paired with the query's figure whose kind matches and
    whose heading shares most with the query. A pairing counts only where the query's figure appears
    nowhere in the passage and the passage's nowhere in the query (else it is a misalignment)."""
    q_nums = extract_numbers(query)
    in_passage = {(FAMILY.get(x.kind), x.value) for x in extract_numbers(p.text)}
    in_query = {(FAMILY.get(x.kind), x.value) for x in q_nums}
    pairs = []  # (query Number-like text, value, kind), (source text, value, kind, rel position or cell index)
    for f in compare_figures(query, p.text):
        pairs.append(((f.query, f.query_value, f.query_kind), (f.source, f.source_value, f.source_kind, f.start_char)))
    if not pairs and p.cells:
        pairs = _cell_pairs(query, q_nums, p)
    out = []
    for (qt, qv, qk), (st, sv, sk, where) in pairs:
        fam = FAMILY.get(qk)
        if fam is None or fam != FAMILY.get(sk) or qv == sv or "one" in (qt.lower(), st.lower()):
            continue                            # a lone "one" is more often a word than a figure
        if (fam, qv) in in_passage or (fam, sv) in in_query:
            continue
        a, b = _locate_figure(doc_text, p, st, where)
        out.append({"op": "replace", "query": qt, "source": st, "kind": "number", "start_char": a, "end_char": b,
                    "query_value": qv, "source_value": sv, "query_kind": qk, "source_kind": sk})
    return out


def _words(text: str) -> set[str]:
    years = {y for a, b in re.findall(r"\b((?:19|20)\d\d) ?[-/–] ?(\d\d(?:\d\d)?)\b", text)
             for y in (a, b if len(b) == 4 else a[:2] + b)}
    return set(re.findall(r"[a-z]+|\d+", text.lower())) | years


def _cell_pairs(query: str, q_nums, p) -> list:
    """A table row's cells against the query's figures: each query figure of a cell's kind that the
    row does not state is paired with the cell whose heading shares most words with the query."""
    qwords, cells = _words(query), []
    for j, (heading, value) in enumerate(p.cells):
        nums = extract_numbers(value)
        if heading and nums:
            cells.append((len(qwords & _words(heading)), -j, j, nums[0]))
    pairs, used = [], set()
    for qn in q_nums:
        fam = FAMILY.get(qn.kind)
        if fam not in ("n", "p"):
            continue
        options = [c for c in cells if FAMILY.get(c[3].kind) == fam and c[2] not in used]
        if not options:
            continue
        _, _, j, sn = max(options)
        used.add(j)
        pairs.append(((qn.text, qn.value, qn.kind), (sn.text, sn.value, sn.kind, ("cell", j))))
    return pairs


def _locate_figure(doc_text: str, p, figure: str, where) -> tuple[int, int]:
    """The figure's span in the source file, within the passage's span: for a cell, the matching one
    of the row's last figures; otherwise the occurrence nearest its relative place in the passage."""
    raw = doc_text[p.start_char:p.end_char]
    hits = [m for m in re.finditer(r"(?<![\w.,])" + re.escape(figure) + r"(?![\w])", raw, re.IGNORECASE)]
    if not hits:
        return p.start_char, p.end_char
    if isinstance(where, tuple):
        tokens = list(re.finditer(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?%?(?![\w])", raw))
        k = len(tokens) - len(p.cells) + where[1]
        if 0 <= k < len(tokens) and tokens[k].group() == figure:
            return p.start_char + tokens[k].start(), p.start_char + tokens[k].end()
        m = hits[0]
    else:
        rel = where / max(1, len(p.text))
        m = min(hits, key=lambda h: abs(h.start() / max(1, len(raw)) - rel))
    return p.start_char + m.start(), p.start_char + m.end()


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def document_text(searcher, doc_id: str) -> str:
    """The text the index was built from, stored with it: every offset points into it."""
    return searcher.index.texts[doc_id]
