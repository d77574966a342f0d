"""evaluation/decision_cv.py: the found/not-found thresholds and the judge's bar, cross-validated on
rows of features (no model: the features are given)."""
import numpy as np

from evaluation import decision_cv as dcv


def rows(n_pos=40, n_neg=10, seed=0) -> dcv.Rows:
    """Answerable queries with high dense/lexical and a judge that mostly agrees; unanswerable ones
    lower on both, some blocked by a missing answer type."""
    rng = np.random.default_rng(seed)
    r = dcv.Rows()
    for i in range(n_pos + n_neg):
        neg = i >= n_pos
        r.sets.append("a" if i % 2 else "b")
        r.ids.append(f"q{i:03d}")
        r.kinds.append("unanswerable" if neg else "question")
        r.negative.append(neg)
        r.dense.append(float(rng.uniform(0.40, 0.58) if neg else rng.uniform(0.50, 0.85)))
        r.lexical.append(float(rng.uniform(0.2, 0.6) if neg else rng.uniform(0.4, 1.0)))
        r.blocked.append(bool(neg and i % 3 == 0))
        r.paged.append(bool(i % 4 == 0))
        r.judge.append(float(rng.uniform(0.05, 0.5) if neg else rng.uniform(0.3, 0.99)))
    return r


def test_found_is_the_searchs_decision_row_by_row():
    from search.decision import Features, decide, Thresholds
    r = rows()
    a = r.arrays()
    t = dcv.current_values()
    th = Thresholds(dense_min=t["dense_min"], dense_min_paged=t["dense_min_paged"], lexical_min=t["lexical_min"])
    expected = [decide(Features(d, x, not_given=("a date",) if b else (), paged=p), th)[0]
                for d, x, b, p in zip(r.dense, r.lexical, r.blocked, r.paged)]
    assert dcv.found(a, t).tolist() == expected


def test_the_fit_keeps_the_answerable_and_is_reproducible():
    r = rows()
    a = r.arrays()
    everything = np.ones(len(r), dtype=bool)
    for judged in (False, True):
        t = dcv.fit(a, everything, dcv.current_values(), judged)
        assert dcv.rates(a, dcv.found(a, t, judged), everything)[1] >= dcv.KEEP
        assert dcv.fit(a, everything, dcv.current_values(), judged) == t               # same data, same numbers
    first = dcv.cross_validate(r, 5, seed=0, judged=True, printer=lambda *_: None)
    again = dcv.cross_validate(rows(), 5, seed=0, judged=True, printer=lambda *_: None)
    assert first["fitted"] == again["fitted"] and (first["held"] == again["held"]).all()


def test_the_judge_flags_what_the_thresholds_cannot():
    r = rows()
    a = r.arrays()
    everything = np.ones(len(r), dtype=bool)
    plain = dcv.fit(a, everything, dcv.current_values(), judged=False)
    judged = dcv.fit(a, everything, dcv.current_values(), judged=True)
    flagged_plain = dcv.rates(a, dcv.found(a, plain), everything)[0]
    flagged_judged = dcv.rates(a, dcv.found(a, judged, True), everything)[0]
    assert flagged_judged >= flagged_plain and judged["answers_min"] > 0
