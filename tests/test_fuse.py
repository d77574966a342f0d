"""Fusion (search/fuse.py) on hand-made score arrays: convex, reciprocal rank fusion, the scalers,
and how the searcher combines its three retrievers with the table-row boost. No model."""
import numpy as np
import pytest

from search.fuse import FUSIONS, convex, fusion, minmax, rrf, scale_by_max


# -- scale_by_max: BM25 scores to [0, 1] ------------------------------------------------------------
def test_scale_by_max_divides_by_the_best():
    assert np.allclose(scale_by_max(np.array([0.0, 2.0, 4.0])), [0.0, 0.5, 1.0])
    assert np.allclose(scale_by_max(np.array([3.0])), [1.0])


@pytest.mark.parametrize("scores", [np.zeros(4), np.array([-1.0, -0.5, 0.0]), np.array([-2.0, -3.0])],
                         ids=["all-zero", "best-is-zero", "all-negative"])
def test_scale_by_max_with_no_positive_score_gives_zeros_not_nan(scores):
    out = scale_by_max(scores)
    assert out.shape == scores.shape and np.array_equal(out, np.zeros_like(scores))


def test_scale_by_max_keeps_dtype_and_leaves_its_input_alone():
    scores = np.array([1.0, 4.0], dtype=np.float32)
    out = scale_by_max(scores)
    assert out.dtype == np.float32 and np.array_equal(scores, [1.0, 4.0])
    assert np.allclose(scale_by_max(np.array([-1.0, 2.0])), [-0.5, 1.0])    # only the top is pinned to 1


# -- minmax -------------------------------------------------------------------------------------------
def test_minmax_maps_to_zero_one_and_a_constant_to_zeros():
    assert np.allclose(minmax(np.array([-1.0, 0.0, 3.0])), [0.0, 0.25, 1.0])
    assert np.array_equal(minmax(np.full(3, 0.7)), np.zeros(3))
    assert np.array_equal(minmax(np.array([0.5, 0.5 + 1e-12])), np.zeros(2))     # a spread under 1e-9 is none


# -- convex -------------------------------------------------------------------------------------------
def test_convex_is_the_weighted_sum():
    a, b, c = np.array([0.2, 0.9, 0.0]), np.array([1.0, 0.0, 0.5]), np.array([0.0, 1.0, 1.0])
    assert np.allclose(convex([a, b, c], [0.35, 0.5, 0.1]), 0.35 * a + 0.5 * b + 0.1 * c)
    assert np.allclose(convex([a], [1.0]), a)
    assert np.allclose(convex([a, b], [0.0, 0.0]), 0.0)


def test_convex_weights_decide_which_retriever_wins():
    dense, lexical = np.array([0.9, 0.1]), np.array([0.0, 1.0])
    assert int(np.argmax(convex([dense, lexical], [0.8, 0.2]))) == 0
    assert int(np.argmax(convex([dense, lexical], [0.2, 0.8]))) == 1


def test_convex_keeps_minus_infinity_out_of_reach():
    """A passage a filter excludes is -inf after fusion (Searcher.rank): it stays below everything."""
    fused = convex([np.array([-np.inf, 0.1]), np.array([1.0, 0.0])], [0.5, 0.5])
    assert fused[0] == -np.inf and np.isfinite(fused[1])


# -- reciprocal rank fusion ---------------------------------------------------------------------------
def test_rrf_is_the_sum_of_weight_over_k_plus_rank():
    s = np.array([3.0, 1.0, 2.0])                      # ranks 1, 3, 2
    assert np.allclose(rrf([s], [1.0], k=60), [1 / 61, 1 / 63, 1 / 62])
    assert np.allclose(rrf([s], [2.0], k=0), [2 / 1, 2 / 3, 2 / 2])
    assert rrf([s], [1.0]).dtype == np.float64


def test_rrf_reads_only_the_order_not_the_scale():
    a = np.array([0.3, 0.2, 0.1])
    assert np.array_equal(rrf([a], [1.0]), rrf([a * 1000 - 7], [1.0]))


def test_rrf_prefers_agreement_over_one_first_place():
    dense = np.array([0.9, 0.8, 0.1])
    lexical = np.array([0.0, 5.0, 4.0])
    assert int(np.argmax(rrf([dense, lexical], [1.0, 1.0]))) == 1     # second in one list, first in the other


def test_rrf_breaks_ties_by_position_and_ignores_a_zero_weight():
    tied = rrf([np.zeros(3)], [1.0])
    assert tied[0] > tied[1] > tied[2]                  # a stable sort: the earlier passage ranks first
    a, b = np.array([0.1, 0.9]), np.array([0.9, 0.1])
    assert np.array_equal(rrf([a, b], [1.0, 0.0]), rrf([a], [1.0]))


def test_rrf_of_a_single_passage():
    assert np.allclose(rrf([np.array([0.4]), np.array([7.0])], [1.0, 0.5], k=60), [1.5 / 61])


# -- choosing a fusion --------------------------------------------------------------------------------
def test_fusion_by_name_and_unknown_names_listed():
    assert fusion("convex") is convex and fusion("rrf") is rrf and set(FUSIONS) == {"convex", "rrf"}
    with pytest.raises(ValueError, match=r"unknown fusion 'borda'; choose one of \['convex', 'rrf'\]"):
        fusion("borda")


# -- the searcher's fusion: three retrievers and the table-row boost ----------------------------------
def test_searcher_fuse_is_convex_plus_the_table_boost(small_searcher):
    from search.searcher import Settings
    s = small_searcher.settings
    n = len(small_searcher.passages)
    rng = np.random.default_rng(0)
    scores = {"dense_passage": rng.uniform(-1, 1, n), "dense_sentence": rng.uniform(-1, 1, n),
              "bm25": rng.uniform(0, 1, n), "table_gate": (np.arange(n) % 2).astype(np.float32)}
    expected = (s.w_dense_passage * scores["dense_passage"] + s.w_dense_sentence * scores["dense_sentence"]
                + s.w_bm25 * scores["bm25"] + s.table_bm25 * scores["table_gate"] * scores["bm25"])
    assert np.allclose(small_searcher.fuse(scores), expected)
    off = dict(scores, table_gate=np.zeros(n, dtype=np.float32))
    assert np.allclose(small_searcher.fuse(off), expected - s.table_bm25 * scores["table_gate"] * scores["bm25"])
    small_searcher.settings = Settings(fusion="rrf")
    try:
        lists = [off["dense_passage"], off["dense_sentence"], off["bm25"]]
        assert np.allclose(small_searcher.fuse(off), rrf(lists, [s.w_dense_passage, s.w_dense_sentence, s.w_bm25]))
    finally:
        small_searcher.settings = s


def test_rank_keeps_filtered_and_unretrievable_passages_out(small_searcher):
    ranking = small_searcher.rank("growth chart weight", kinds={"paragraph"})
    kinds = [small_searcher.passages[i].kind for i in ranking.order]
    assert kinds and set(kinds) == {"paragraph"}
    assert all(ranking.fused[i] == -np.inf for i, p in enumerate(small_searcher.passages) if p.kind != "paragraph")
    fused = [ranking.fused[i] for i in ranking.order]
    assert fused == sorted(fused, reverse=True)
    everything = small_searcher.rank("growth chart weight")
    assert not {small_searcher.passages[i].kind for i in everything.order} & {"heading", "title"}
