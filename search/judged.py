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

from check.judge import ANSWERS_MIN, TIMEOUT, best_sentences, get_judge

NOT_ANSWERED = "The closest passage does not appear to answer this (read by a local model)."


def judge_answer(searcher, result, judge=None, timeout: float | None = TIMEOUT):
    """`result` (a SearchResult from searcher.search) with its answer judged: Answer.judge holds the
    judge's probability that the top passage answers the query, and found is withdrawn below
    ANSWERS_MIN. A new SearchResult; `result` itself is not changed."""
    judge = judge if judge is not None else get_judge()
    answer = result.answer
    if judge is None or not result.results or not answer.found or answer.passage_id is None:
        return result
    index = next((i for i, p in enumerate(searcher.passages) if p.passage_id == answer.passage_id), None)
    if index is None:
        return result
    p = judge.answers(best_sentences(searcher, index, result.query), result.query, timeout)
    if p is None:
        return result
    if p >= ANSWERS_MIN:
        answer = dataclasses.replace(answer, judge=p)
    else:
        answer = dataclasses.replace(answer, judge=p, found=False, confidence=min(answer.confidence, 0.499),
                                     reason=NOT_ANSWERED)
    return dataclasses.replace(result, answer=answer)
