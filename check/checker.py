"""`askreport check`: is this quote or claim in the report, and where?

Verdicts, decided in this order:
  verbatim        the text occurs in the report, ignoring case, quote style, dashes and spacing
  figures-differ  the text aligns with the report word for word, or a passage says it in other words,
                  but a figure differs ("70 girls" where the report says "Seventy-seven girls")
  near-verbatim   the text aligns word for word apart from small damage (a typo, a US spelling, a
                  word dropped, added or changed, an elision "...")
  paraphrase      a passage says this in other words: the closest passage, to be read
  not-found       nothing in the report says this: the nearest passages, shown as such. When the
                  closest passage is about this but the text adds what it does not state (a figure,
                  a cause: "because staff did too little", a count: "hundreds"), `adds` names what;
                  the app calls that "not stated". A paraphrase does not add facts.

Quotes come from alignment over each document's whole text (index.align); claims from the same
hybrid scores as search. `paraphrase` against `not-found` is index.calibration.decide, the decision
search uses for answer.found.
"""
from __future__ import annotations

import re

import numpy as np

from index.units import retrieved
from ingest.passage import place
from search.decision import THRESHOLDS, decide, join_words, reason
from search.fuse import top_order
from search.results import CheckResult, Hit, Span
from search.searcher import check_query
from .align import Alignment, align, extract_numbers, find_verbatim
from .figures import (additions, claim_figures, document_text, figure_diffs, other_figures, short,
                      unstated)
from .judge import PROMOTE_MIN, STATES_MIN, borderline, judge_claim

CANDIDATE_PASSAGES, CANDIDATE_DOCUMENTS = 30, 5   # where quotations are looked for (candidate_documents) ...
LEXICAL_CANDIDATES = 1                            # ... and the document of the best passage by words alone
                                                  # (3 cost check 50 ms more, past its 150 ms budget)
MAX_VERBATIM_MATCHES = 5     # places shown when a text occurs more than once
OTHER_PASSAGES = 2           # nearby alternatives shown after the first match
RERANK = 5                   # a claim's source: the best sentence among the first 5 results (see best_passage)
RERANK_FIGURES = 0.1         # ... and the passage that states the claim's figures


# -- the check -----------------------------------------------------------------------------------
def check(searcher, text: str, judge=None) -> CheckResult:
    """judge: a check.judge.Judge (or None: decided as without one). It is asked only whether the
    claim's closest passage states it, for a `paraphrase` and a borderline `not-found`."""
    query = check_query(text)
    ranking = searcher.rank(query)
    scores, order = ranking.scores, ranking.order
    ctx = _Context(searcher, ranking)

    candidates = candidate_documents(searcher, order, lexical_order(scores["bm25"], ranking.allowed))

    # 1. verbatim, in the documents the ranking points at
    for doc_id in candidates:
        spans = find_verbatim(query, document_text(searcher, doc_id))
        if spans:
            return ctx.verbatim(doc_id, spans)

    # 2. the best word-for-word alignment over each of those documents' whole text
    best: tuple[str, Alignment] | None = None
    for doc_id in candidates:
        al = align(query, document_text(searcher, doc_id), min_score=0.0)
        if al and (best is None or al.score > best[1].score):
            best = doc_id, al
    if best:
        doc_id, al = best
        figures = [d for d in al.differences if d.kind == "number" and _comparable(d.query_value, d.source_value)]
        if figures and _score_without(al, query, figures) >= THRESHOLDS.quote:
            return ctx.figures_in_quote(doc_id, al, figures)
        if not al.differences and al.score >= 100.0:   # the same words; only punctuation differs
            return ctx.verbatim(doc_id, [(al.start_char, al.end_char)])
        if al.score >= THRESHOLDS.quote and not any(d.kind == "number" for d in al.differences):
            return ctx.near_verbatim(doc_id, al)

    # 3. in other words: one calibrated decision (search's), then the figures of the best passage
    facts = searcher.facts(ranking, alignment=best[1].score if best else None, query=_without_numbers(query))
    found, _ = decide(facts, claim=True)
    if not order:
        return ctx.out("not-found", 0.0, "The documents have no passage to compare this with.", [])
    figures = claim_figures(query)
    top = best_passage(searcher, scores, order, figures)
    said = None            # the judge's P(the passage states this), when asked
    if judge is not None and not found and borderline(facts):
        said = judge_claim(judge, searcher, ranking, top)
        found = said is not None and said >= PROMOTE_MIN
    if found:
        p = searcher.passages[top]
        claimed = searcher.doc_index.without_naming_years(query)   # its figures, not the year naming a document
        figs = figure_diffs(claimed, p, document_text(searcher, p.document))
        if figs:
            return ctx.figures_in_passage(top, figs)
        around = _around(searcher, top)
        missing = unstated(figures, around)
        if missing:   # a paraphrase says what its source says; it does not add figures
            if other := other_figures(searcher, claimed, order, scores, top):  # ... or says it with others
                return ctx.figures_in_passage(*other)
            stated = join_words((f"“{m.text}”" for m in missing), "or")
            return ctx.not_stated(top, [f"the figure{'s' * (len(missing) > 1)} {stated}"])
        if added := additions(query, p.text, around):
            return ctx.not_stated(top, added)
        if judge is not None and said is None:
            said = judge_claim(judge, searcher, ranking, top)
        if said is not None and said < STATES_MIN:
            return _judged(ctx.not_found(top, "The closest passage does not state this."), said)
        return _judged(ctx.paraphrase(top), said)
    return _judged(ctx.not_found(top, reason(facts, claim=True)), said)


def _judged(result: CheckResult, said: float | None) -> CheckResult:
    """Records the judge's reading (check.judge) in the result and its explanation."""
    if said is not None:
        result.judge = said
        result.explanation += (f" A local model reading the closest passage judges that it "
                               f"{'states' if said >= STATES_MIN else 'does not state'} this "
                               f"(probability {said:.2f}).")
    return result


def candidate_documents(searcher, order: list[int], lexical: list[int] = ()) -> list[str]:
    """The documents a quotation is looked for in: those of the first CANDIDATE_PASSAGES ranked
    passages (at most CANDIDATE_DOCUMENTS), best first, then those of the first LEXICAL_CANDIDATES
    passages by BM25 alone. A quotation typed from memory shares most of its words with its source,
    so its source ranks near the top by words, even where a dense model prefers passages that say
    the same thing in other words ("a committed and pushy corporate parent" is one sentence of a
    summary paragraph, and 20 reports have a paragraph about committed corporate parents).
    Aligning against every document of a library would cost seconds."""
    docs: list[str] = []
    for i in order[:CANDIDATE_PASSAGES]:
        doc = searcher.passages[i].document
        if doc not in docs:
            docs.append(doc)
    docs = docs[:CANDIDATE_DOCUMENTS]
    for i in lexical[:LEXICAL_CANDIDATES]:
        if (doc := searcher.passages[i].document) not in docs:
            docs.append(doc)
    return docs or list(searcher.documents)[:CANDIDATE_DOCUMENTS]


def lexical_order(bm25: np.ndarray, allowed: np.ndarray) -> list[int]:
    """The passages search may return that share a word with the text, best BM25 score first."""
    return top_order(np.where(allowed & (bm25 > 0), bm25, -np.inf), LEXICAL_CANDIDATES)


def best_passage(searcher, scores: dict, order: list[int], figures=()) -> int:
    """For a claim, the passage holding the sentence closest in meaning: among the first RERANK
    results, the best dense sentence similarity plus the shared words (BM25 scaled 0..1) and the
    documents it names, each weighed against meaning as search weighs them for that passage (words:
    0.12 in a report, 0.35 in a PDF, whose passages have no sentence units), and a little for stating
    the claim's figures. ("The City of London's 2016 inspection praised it for…" took another
    council's paragraph that says much the same before PDFs had their own weight here.)"""
    pool = order[:RERANK]

    def weight(key: str, i: int) -> float:           # one number, or one per passage (search.searcher.Settings)
        w = searcher.weights[key]
        return float(w[i]) if isinstance(w, np.ndarray) else float(w)

    def score(i):
        dense = weight("w_dense_passage", i) + weight("w_dense_sentence", i)
        named = float(scores["named"][i]) if "named" in scores else 0.0
        stated = 1.0 - len(unstated(figures, searcher.passages[i].text)) / len(figures) if figures else 0.0
        return (float(scores["dense_sentence"][i]) + weight("w_bm25", i) / dense * float(scores["bm25"][i])
                + weight("w_named", i) / dense * named + RERANK_FIGURES * stated, -pool.index(i))
    return max(pool, key=score)


def _around(searcher, i: int) -> str:
    """A passage with its neighbours in the same document: a claim may sum up two of them."""
    doc = searcher.passages[i].document
    return " ".join(p.text for p in searcher.passages[max(0, i - 1):i + 2] if p.document == doc)



class _Context:
    def __init__(self, searcher, ranking):
        self.s, self.ranking = searcher, ranking
        self.query, self.scores, self.order = ranking.query, ranking.scores, ranking.order

    # - building blocks
    def out(self, verdict: str, similarity: float, explanation: str, matches: list[Hit]) -> CheckResult:
        return CheckResult(self.query, verdict, round(float(similarity), 4), explanation, matches)

    def result(self, rank: int, i: int, differences=(), match: Span | None = None, span=None) -> Hit:
        r = self.s.hit(rank, i, self.ranking)
        if span is not None:
            r.highlights = _sentences_over(self.s.passages[i], *span) or r.highlights
        r.differences = [d if isinstance(d, dict) else d.to_dict() for d in differences]
        r.match = match
        return r

    def others(self, exclude: set[int], start_rank: int, n: int = OTHER_PASSAGES) -> list[dict]:
        picks = [i for i in self.order if i not in exclude][:n]
        return [self.result(r, i) for r, i in enumerate(picks, start_rank)]

    def where(self, i: int) -> str:
        return place(self.s.passages[i], short=True)

    def dense(self, i: int) -> float:
        return float(self.scores["dense_sentence"][i])

    # - verdicts
    def verbatim(self, doc_id: str, spans: list[tuple[int, int]]) -> dict:
        text, matches, seen = document_text(self.s, doc_id), [], []
        for a, b in spans:
            i = source_passage(self.s, doc_id, a, b)
            if i is None or i in seen:
                continue
            seen.append(i)
            if len(matches) < MAX_VERBATIM_MATCHES:
                matches.append(self.result(len(matches) + 1, i, match=_span(text, a, b), span=(a, b)))
        places = ", ".join(self.where(m) for m in seen) if len(seen) <= 3 else f"{len(seen)} places"
        return self.out("verbatim", 1.0, f"The documents say exactly this ({places}).", matches)

    def near_verbatim(self, doc_id: str, al: Alignment) -> dict:
        i = source_passage(self.s, doc_id, al.start_char, al.end_char)
        match = self.result(1, i, al.differences, _span(document_text(self.s, doc_id), al.start_char, al.end_char),
                            (al.start_char, al.end_char))
        n = len(al.differences)
        shown = "; ".join(describe(d.to_dict()) for d in al.differences[:3]) + ("; ..." if n > 3 else "")
        return self.out("near-verbatim", al.score / 100,
                        f"A near-verbatim quotation of {self.where(i)} with {n} difference{'s' * (n != 1)}: {shown}.",
                        [match, *self.others({i}, 2)])

    def figures_in_quote(self, doc_id: str, al: Alignment, figures) -> dict:
        i = source_passage(self.s, doc_id, al.start_char, al.end_char)
        match = self.result(1, i, al.differences, _span(document_text(self.s, doc_id), al.start_char, al.end_char),
                            (al.start_char, al.end_char))
        return self.out("figures-differ", al.score / 100,
                        f"The wording matches {self.where(i)} but the figures differ: "
                        + "; ".join(describe(d.to_dict()) for d in figures) + ".",
                        [match, *self.others({i}, 2)])

    def figures_in_passage(self, i: int, figs: list[dict]) -> dict:
        p = self.s.passages[i]
        lo, hi = min(d["start_char"] for d in figs), max(d["end_char"] for d in figs)
        r = self.result(1, i, figs, span=(lo, hi))
        return self.out("figures-differ", self.dense(i),
                        f"The closest passage, {self.where(i)}, gives different figures: "
                        + "; ".join(describe(d) for d in figs) + f" (similarity {self.dense(i):.2f}).",
                        [r, *self.others({i}, 2)])

    def paraphrase(self, i: int) -> dict:
        return self.out("paraphrase", self.dense(i),
                        f"Not the source's wording; closest passage — read it: {self.where(i)} "
                        f"(similarity {self.dense(i):.2f}).",
                        [self.result(1, i), *self.others({i}, 2)])

    def not_stated(self, top: int, adds: list[str]) -> CheckResult:
        return CheckResult(self.query, "not-found", round(self.dense(top), 4),
                           f"Not stated: the closest passage, {self.where(top)}, is about this but does not state "
                           f"{join_words(adds)}. Read it before quoting it (similarity {self.dense(top):.2f}).",
                           [self.result(1, top), *self.others({top}, 2)], adds=adds)

    def not_found(self, top: int, why: str) -> dict:
        return self.out("not-found", self.dense(top),
                        f"Not found: no passage of the documents says this. {why} The nearest passages are shown for "
                        f"reference (best similarity {self.dense(top):.2f}).",
                        [self.result(1, top), *self.others({top}, 2)])


# -- helpers -------------------------------------------------------------------------------------
def source_passage(searcher, doc_id: str, start: int, end: int) -> int | None:
    """The retrievable passage of doc_id whose span holds [start, end) (the most of it, if the span
    crosses passages); for a span inside a heading, the first passage after it."""
    best, best_overlap, after = None, 0, None
    for i, p in enumerate(searcher.passages):
        if p.document != doc_id or not retrieved(p):
            continue
        overlap = min(end, p.end_char) - max(start, p.start_char)
        if overlap > best_overlap or (overlap == best_overlap and overlap > 0 and best is not None
                                      and p.end_char - p.start_char < searcher.passages[best].end_char
                                      - searcher.passages[best].start_char):
            best, best_overlap = i, overlap
        if p.start_char >= end and (after is None or p.start_char < searcher.passages[after].start_char):
            after = i
    return best if best is not None else after


def _span(text: str, a: int, b: int) -> Span:
    return Span(a, b, text[a:b])


def _sentences_over(p, a: int, b: int) -> list[Span]:
    return [Span(s.start_char, s.end_char, s.text) for s in p.sentences if s.start_char < b and a < s.end_char]


def _comparable(q, s) -> bool:
    return q is not None and s is not None and q != s


def _score_without(al: Alignment, query: str, figures) -> float:
    """The alignment score had the figures been right: each differing figure cost one of the query's
    words (a figure such as "1 April 2007" is one word there)."""
    words = len(query.split()) - sum(len(x.text.split()) - 1 for x in extract_numbers(query))
    return min(100.0, al.score + 100.0 * len(figures) / max(1, words))


def describe(d: dict) -> str:
    q, s = " ".join((d.get("query") or "").split()), " ".join((d.get("source") or "").split())
    if d.get("kind") == "elision":
        return f"leaves out “{short(s)}”"
    if d.get("op") == "insert" or not s:
        return f"adds “{q}”"
    if d.get("op") == "delete" or not q:
        return f"omits “{s}”"
    if d.get("kind") == "number":
        return f"the source gives “{s}” where the text says “{q}”"
    return f"“{q}” for the source’s “{s}”"


def _without_numbers(text: str) -> str:
    """A claim's numbers are compared with the passage's (figures-differ), so only its names may
    make it `not-found` for being absent from the report."""
    return re.sub(r"\d", " ", text)
