"""The answer box, read by the local judge (check.judge): the top passage is called *the answer* only
if the judge, when installed, agrees that it answers the question.

Called after search has returned, so plain search never waits for the judge:

    result = searcher.search(query)                   # show this at once
    result = judge_answer(searcher, result)           # then this, seconds later (or the same on timeout)

Without the judge (not installed, or the judgement timed out) the result comes back unchanged. The
judge only withdraws: a `found` answer it does not agree with becomes "closest passages" (found
false, confidence under 0.5, a reason); it never makes an answer of a passage search did not.
"""
from __future__ import annotations

import dataclasses
import time

from check.judge import ANSWERS_MIN, TIMEOUT, best_sentences, get_judge

SECOND_LOOK = 0.5       # below this the judge doubts the top passage, and reads the second one too
SECOND_MARGIN = 0.1     # ... which takes its place when judged answering by at least this much more
NOT_ANSWERED = "The closest passage does not appear to answer this (read by a local model)."


def judge_answer(searcher, result, judge=None, timeout: float | None = TIMEOUT):
    """`result` (a SearchResult from searcher.search) with its answer judged: Answer.judge holds the
    judge's probability that the top passage answers the query, and found is withdrawn below
    ANSWERS_MIN. A close call is read twice: when the judge doubts the top passage (below
    SECOND_LOOK), it reads the second too, and a second passage it finds answering (at least
    SECOND_LOOK, and SECOND_MARGIN above the first) becomes the first result and the answer. A new
    SearchResult; `result` itself is not changed."""
    judge = judge if judge is not None else get_judge()
    answer = result.answer
    if judge is None or not result.results or not answer.found or answer.passage_id is None:
        return result
    started = time.monotonic()
    p = _read(searcher, judge, result, answer.passage_id, timeout)
    if p is None:
        return result
    results = result.results
    if p < SECOND_LOOK and len(results) > 1 and results[0].passage_id == answer.passage_id:
        left = None if timeout is None else timeout - (time.monotonic() - started)
        second = results[1]
        p2 = _read(searcher, judge, result, second.passage_id, left) if left is None or left > 0 else None
        if p2 is not None and p2 >= SECOND_LOOK and p2 >= p + SECOND_MARGIN:
            results = [dataclasses.replace(second, rank=1), dataclasses.replace(results[0], rank=2), *results[2:]]
            best = second.highlights[0].text if second.highlights else second.text
            answer = dataclasses.replace(answer, text=best, passage_id=second.passage_id, citation=second.citation,
                                         table_rows=None)
            p = p2
    if p >= ANSWERS_MIN:
        answer = dataclasses.replace(answer, judge=p)
    else:
        answer = dataclasses.replace(answer, judge=p, found=False, confidence=min(answer.confidence, 0.499),
                                     reason=NOT_ANSWERED)
    return dataclasses.replace(result, answer=answer, results=results)


def _read(searcher, judge, result, passage_id: str, timeout: float | None) -> float | None:
    index = searcher.by_id.get(passage_id)
    if index is None:
        return None
    return judge.answers(best_sentences(searcher, index, result.query), result.query, timeout)
