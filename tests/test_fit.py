"""evaluation/fit.py: the cross-validated fit of the fusion weights. Pure numpy fixtures, and the small
corpus with the fake embedder (no real model)."""
import json
import tomllib

import numpy as np
import pytest

from evaluation import fit as F
from search.searcher import HAND_SET, Settings, fusion_weights


def synthetic(signal: int, queries: int = 60, pool: int = 40, seed: int = 1, sets=("a", "b"),
              kinds=("question", "claim", "figure")) -> F.Data:
    """Each query's one hit is the candidate with the highest value of feature `signal` (plus a little
    noise); the other features are noise of a larger spread, so the hand-set weights rank it poorly."""
    rng = np.random.default_rng(seed)
    feats, hits, pidx, offsets, names, ids, ks = [], [], [], [0], [], [], []
    for q in range(queries):
        X = np.zeros((pool, 5), dtype=np.float32)
        X[:, 0] = rng.uniform(0.3, 0.6, pool)
        X[:, 1] = rng.uniform(0.3, 0.6, pool)
        X[:, 2] = rng.uniform(0.0, 1.0, pool)
        X[:, 3] = rng.integers(0, 2, pool)
        X[:, 4] = rng.integers(0, 2, pool)
        truth = X[:, signal] + rng.normal(0, 0.01, pool) if signal not in (3, 4) else X[:, 2] * X[:, 3]
        hit = np.zeros(pool, bool)
        hit[int(np.argmax(truth))] = True
        feats.append(X)
        hits.append(hit)
        pidx.append(np.arange(pool, dtype=np.int64) * 7 + q)
        offsets.append(offsets[-1] + pool)
        names.append(sets[q % len(sets)])
        ids.append(f"q{q:03d}")
        ks.append(kinds[(q // len(sets)) % len(kinds)])
    return F.Data(names, ids, ks, np.concatenate(feats), np.concatenate(hits), np.concatenate(pidx),
                  np.array(offsets), "fast", list(sets))


# -- ranks: the searcher's order, in numpy ------------------------------------------------------------
def test_ranks_match_a_stable_sort_by_fused_score_ties_by_passage():
    data = synthetic(0, queries=12, pool=25)
    data.features[:, :] = np.round(data.features * 4) / 4          # many exact ties
    data.hit[:] = False
    rng = np.random.default_rng(3)
    data.hit[rng.choice(len(data.hit), 40, replace=False)] = True
    got = F.ranks(data, HAND_SET)
    for q in range(len(data)):
        rows = slice(data.start[q], data.start[q + 1])
        s, p, h = F.fused(data.features[rows], HAND_SET), data.passage[rows], data.hit[rows]
        order = np.lexsort((p, -s))                                 # score descending, then passage index
        first = next((n for n, j in enumerate(order, 1) if h[j]), 0)
        assert got[q] == first


def test_metrics_count_only_the_first_ten():
    m = F.metrics(np.array([1, 2, 5, 11, 0]))
    assert m["n"] == 5 and m["R@1"] == 0.2 and m["R@5"] == 0.6 and m["R@10"] == 0.6
    assert m["MRR"] == pytest.approx((1 + 0.5 + 0.2) / 5)


# -- folds -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_folds_are_disjoint_cover_every_query_and_are_stratified(k):
    data = synthetic(0, queries=61, pool=5)
    fold = F.folds(data, k, seed=0)
    assert fold.shape == (len(data),) and set(fold.tolist()) == set(range(k))   # every query in exactly one
    members = [set(np.flatnonzero(fold == f)) for f in range(k)]
    assert sum(len(m) for m in members) == len(data)
    assert all(not (a & b) for i, a in enumerate(members) for b in members[i + 1:])
    sizes = np.bincount(fold, minlength=k)
    assert sizes.max() - sizes.min() <= 1
    for key in set(zip(data.sets, data.kinds)):
        in_stratum = [f for f, s, kd in zip(fold, data.sets, data.kinds) if (s, kd) == key]
        counts = np.bincount(in_stratum, minlength=k)
        assert counts.max() - counts.min() <= 1                  # each stratum spread over the folds


def test_folds_depend_only_on_the_seed():
    data = synthetic(0, queries=40, pool=5)
    assert np.array_equal(F.folds(data, 5, seed=0), F.folds(data, 5, seed=0))
    assert not np.array_equal(F.folds(data, 5, seed=0), F.folds(data, 5, seed=1))
    with pytest.raises(ValueError):
        F.folds(data, 1)
    with pytest.raises(ValueError):
        F.folds(data, 41)


# -- the fit ------------------------------------------------------------------------------------------
def test_the_fit_is_reproducible():
    a = F.cross_validate(synthetic(2, seed=5), k=4, seed=0)
    b = F.cross_validate(synthetic(2, seed=5), k=4, seed=0)
    assert a.fold_weights == b.fold_weights and a.final == b.final
    assert a.table_fit == b.table_fit and a.table_hand == b.table_hand
    assert np.array_equal(a.ranks_fit, b.ranks_fit) and np.array_equal(a.fold, b.fold)


def test_the_feature_that_is_the_signal_gets_more_weight():
    bm25 = F.cross_validate(synthetic(2), k=4, seed=0)
    assert bm25.final["w_bm25"] > HAND_SET["w_bm25"]
    assert bm25.table_fit[("all", "all")]["MRR"] > bm25.table_hand[("all", "all")]["MRR"]
    dense = F.fit(synthetic(0))                                     # the whole passage, not its best sentence
    assert dense["w_dense_passage"] > HAND_SET["w_dense_passage"]
    assert dense["w_dense_passage"] > dense["w_dense_sentence"]
    sentence = F.fit(synthetic(1))
    assert sentence["w_dense_sentence"] > sentence["w_dense_passage"]
    table = F.fit(synthetic(3))                                     # table rows whose own words match
    assert table["table_bm25"] > HAND_SET["table_bm25"]


def test_the_fit_keeps_the_scale_and_never_loses_on_its_training_data():
    data = synthetic(2)
    w = F.fit(data)
    assert w["w_dense_passage"] + w["w_dense_sentence"] == pytest.approx(
        HAND_SET["w_dense_passage"] + HAND_SET["w_dense_sentence"])
    everything = np.ones(len(data), bool)
    assert F.objective(data, F.ranks(data, w), everything) >= F.objective(data, F.ranks(data, HAND_SET), everything)


def test_the_gate_needs_every_set_better():
    cv = F.cross_validate(synthetic(2), k=3, seed=0)
    ok, why = cv.better()
    assert ok and len(why) == 2
    cv.table_fit[("a", "all")] = dict(cv.table_hand[("a", "all")])   # one set no better
    assert not cv.better()[0]


# -- the weights file and Settings ----------------------------------------------------------------------
def test_weights_file_round_trip_keeps_other_presets(tmp_path):
    path = tmp_path / "weights.toml"
    path.write_text('[accurate]\nw_bm25 = 0.2\nsource = "hand-set"\n', encoding="utf-8")
    data = synthetic(2)
    cv = F.cross_validate(data, k=3, seed=0)
    F.write_weights("fast", "paged", F.weights_entry(data, cv), path)
    F.write_weights("fast", "text", F.weights_entry(data, cv), path)
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    assert tables["accurate"] == {"w_bm25": 0.2, "source": "hand-set"}
    assert {k: tables["fast"][k] for k in F.WEIGHTS} == cv.final and tables["fast"]["source"] == "fitted"
    assert tables["fast"]["cv_folds"] == 3 and tables["fast"]["heldout_a"]["fitted_mrr"] > 0
    assert {k: tables["fast"]["paged"][k] for k in F.WEIGHTS} == cv.final    # the text table kept its paged one


def test_settings_default_to_the_fast_table_and_fall_back_to_hand_set():
    assert fusion_weights("no-such-preset") == HAND_SET
    fast = fusion_weights("fast")
    assert {k: getattr(Settings(), k) for k in HAND_SET} == fast
    assert Settings.for_preset("fast", max_highlights=1).max_highlights == 1
    from search.searcher import __file__ as searcher_file
    from pathlib import Path
    table = tomllib.loads((Path(searcher_file).with_name("weights.toml")).read_text(encoding="utf-8"))
    assert set(table) >= {"fast", "accurate"}
    assert fast == {k: float(table["fast"][k]) for k in HAND_SET}


# -- on a real (small) index, with the fake embedder ----------------------------------------------------
QUERIES = [
    {"id": "s1", "kind": "question", "query": "What is plotted on a growth chart?", "gold": ["plotted on a growth chart"]},
    {"id": "s2", "kind": "question", "query": "Were fathers seen by agencies?", "gold": ["Fathers were rarely seen"]},
    {"id": "s3", "kind": "figure", "query": "What grade did Eastvale get?", "gold": ["Eastvale"]},
    {"id": "s4", "kind": "figure", "query": "Southtown grade", "gold": ["Southtown"]},
    {"id": "s5", "kind": "claim", "query": "Appointments were missed in winter", "gold": ["Missed appointments"]},
    {"id": "s6", "kind": "unanswerable", "query": "What happened in Wales?", "gold": []},
]


def write_set(path, entries):
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def test_collect_reproduces_eval_ranks_on_the_small_index(small_searcher, tmp_path):
    from evaluation.evaluate import run_eval
    path = write_set(tmp_path / "small-dev.jsonl", QUERIES)
    _, expected = run_eval(small_searcher, path, printer=lambda *a: None)
    data = F.collect(small_searcher, path)
    assert data.ids == ["s1", "s2", "s3", "s4", "s5"]              # unanswerable queries have no rank
    current = {k: getattr(small_searcher.settings, k) for k in F.WEIGHTS}
    got = dict(zip(data.ids, F.ranks(data, current).tolist()))
    assert got == {i: r or 0 for i, r in expected.items()}


def test_collect_uses_the_library_hit_rule_for_library_gold(small_searcher, tmp_path):
    from evaluation.evaluate import run_eval
    entries = [{"id": "l1", "kind": "question", "query": "growth chart weight",
                "gold": [{"doc": "small.txt", "page": 1, "text": "plotted on a growth chart"}]},
               {"id": "l2", "kind": "question", "query": "Fathers histories",
                "gold": [{"doc": "other.pdf", "page": 1, "text": "Fathers were rarely seen"}]}]
    path = write_set(tmp_path / "lib.jsonl", entries)
    _, expected = run_eval(small_searcher, path, printer=lambda *a: None)
    data = F.collect(small_searcher, path)
    current = {k: getattr(small_searcher.settings, k) for k in F.WEIGHTS}
    assert dict(zip(data.ids, F.ranks(data, current).tolist())) == {i: r or 0 for i, r in expected.items()}
    assert expected["l1"] and not expected["l2"]                   # the document must match too


def test_cli_eval_cv_prints_held_out_figures(small_index, fake_embedder, tmp_path, capsys):
    import cli
    path = write_set(tmp_path / "small-dev.jsonl", QUERIES)
    argv = ["--index-dir", str(small_index), "eval", str(path), "--cv", "2"]
    assert cli.main(argv) == 0
    first = capsys.readouterr().out
    assert "2-fold cross-validation" in first and "fit on all" in first and "held-out" in first
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == first                          # same data, same numbers
    assert cli.main(["--index-dir", str(small_index), "eval", str(path), "--cv", "9"]) == 2
