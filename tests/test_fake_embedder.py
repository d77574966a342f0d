"""The fake embedder every test not marked slow uses (tests/conftest.py), and the guard that keeps
the real model out of `-m "not slow"`."""
import inspect

import numpy as np
import pytest

from index import models
from tests.conftest import FAKE_DIM, FakeEmbedder, fake_vector


def test_fake_vectors_are_deterministic_unit_float32():
    v = fake_vector("The weight is plotted on a growth chart.")
    assert v.shape == (FAKE_DIM,) and v.dtype == np.float32
    assert np.sqrt(float((v * v).sum())) == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(v, fake_vector("The weight is plotted on a growth chart."))
    assert fake_vector("x", dim=16).shape == (16,)


def test_fake_vectors_are_a_bag_of_words():
    chart = fake_vector("The weight is plotted on a growth chart.")
    assert float(chart @ fake_vector("growth chart: where is the weight plotted?")) == pytest.approx(1.0, abs=1e-5)
    near = float(chart @ fake_vector("Weight was recorded on the chart."))
    far = float(chart @ fake_vector("Fathers were rarely seen by agencies."))
    assert near > 0.3 > abs(far)


@pytest.mark.parametrize("text", ["", "   ", "—", "the of and"], ids=["empty", "spaces", "dash", "stop-words"])
def test_a_text_without_content_words_still_gets_a_unit_vector(text):
    v = fake_vector(text)
    assert np.isfinite(v).all() and np.sqrt(float((v * v).sum())) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", ["load_model", "encode_passages", "encode_queries", "count_tokens"])
def test_the_fake_has_the_models_interface(name):
    real = list(inspect.signature(getattr(models, name)).parameters)
    fake = list(inspect.signature(getattr(FakeEmbedder(), name)).parameters)
    assert fake == real


def test_the_fake_loads_as_a_model_with_its_own_identity():
    fake = FakeEmbedder(dim=8, fingerprint="f" * 64)
    model, info = fake.load_model("fast")
    assert model is fake and (info.model_id, info.dimension, info.fingerprint) == ("fake/hash-embedder", 8, "f" * 64)
    assert fake.encode_passages(model, ["a b", "c"]).shape == (2, 8) and fake.encoded == 2
    assert fake.encode_queries(model, []).shape == (0, 8) and fake.queries == [[]]
    assert fake.count_tokens(model, "three word text") == 3


def test_a_test_not_marked_slow_cannot_load_the_real_model(monkeypatch):
    """The guard itself: load_model("fast") gets as far as sentence-transformers and is stopped."""
    monkeypatch.setattr(models, "set_torch_threads", lambda n=None: 1)     # no torch import for this check
    with pytest.raises(AssertionError, match="is not marked slow but loads the real model"):
        models.load_model("fast")


def test_build_and_search_use_the_fake(tmp_path, fake_embedder):
    from index.build import build
    from search.searcher import Searcher
    from tests.conftest import SMALL_ENTRY, SMALL_REPORT, write_corpus
    build(write_corpus(tmp_path / "c", {"small.txt": SMALL_REPORT}, [SMALL_ENTRY]), tmp_path / "i", progress=False)
    assert fake_embedder.encoded > 0
    out = Searcher.open(tmp_path / "i").search("growth chart")
    assert out.model["model_id"] == "fake/hash-embedder" and fake_embedder.queries == [["growth chart"]]
