"""The found / not-found decision (search/decision.py) on constructed rankings: `features` from score
arrays, `decide`, and the one line `reason` users see. No model, no index.
(Hand-made Features for `decide` alone: tests/test_check.py.)"""
import numpy as np
import pytest

from search.decision import THRESHOLDS, Features, Thresholds, decide, features, join_words, reason, unknown_names

VOCABULARY = {"how", "many", "reviews", "were", "carried", "out", "in", "the", "baby", "hospital", "council",
              "which", "had", "an", "inadequate", "review", "long", "was", "northtown"}
NO_PLACES = frozenset()


def ranking(dense_sentence, bm25, allowed=None):
    dense_sentence, bm25 = np.asarray(dense_sentence, dtype=np.float32), np.asarray(bm25, dtype=np.float32)
    allowed = np.ones(len(bm25), dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    return {"dense_sentence": dense_sentence, "dense_passage": dense_sentence, "bm25": bm25}, allowed


# -- features from a ranking --------------------------------------------------------------------------
def test_dense_is_the_best_sentence_among_the_passages_search_could_return():
    scores, allowed = ranking([0.95, 0.61, 0.40, 0.20], [1.0, 0.2, 0.8, 0.5], allowed=[False, True, True, True])
    f = features(scores, [1, 2, 3], allowed, "text", VOCABULARY, NO_PLACES)
    assert f.dense == pytest.approx(0.61)               # not the 0.95 of a passage never returned (a heading)
    assert isinstance(f.dense, float) and isinstance(f.lexical, float)


def test_lexical_is_the_best_bm25_of_the_first_results_over_the_best_returnable():
    scores, allowed = ranking([0.7, 0.6, 0.5, 0.4, 0.3], [1.0, 0.2, 0.8, 0.5, 0.0],
                              allowed=[False, True, True, True, True])
    assert features(scores, [1, 2, 3, 4], allowed, "t", VOCABULARY, NO_PLACES).lexical == pytest.approx(1.0)
    assert features(scores, [1, 3, 4, 2], allowed, "t", VOCABULARY, NO_PLACES).lexical == pytest.approx(0.5 / 0.8)
    one = Thresholds(lexical_top=1)                      # only the first result counts
    assert features(scores, [1, 2, 3, 4], allowed, "t", VOCABULARY, NO_PLACES, t=one).lexical == pytest.approx(0.25)
    none, _ = ranking([0.7, 0.6, 0.5, 0.4, 0.3], np.zeros(5))
    assert features(none, [1, 2], allowed, "t", VOCABULARY, NO_PLACES).lexical == 0.0    # no shared term


@pytest.mark.parametrize("order,allowed", [([], [True, True]), ([0, 1], [False, False])],
                         ids=["nothing-ranked", "nothing-returnable"])
def test_an_empty_ranking_is_not_found_because_nothing_is_close(order, allowed):
    scores, allowed = ranking([0.9, 0.9], [1.0, 1.0], allowed=allowed)
    f = features(scores, order, allowed, None, VOCABULARY, NO_PLACES, alignment=12.0)
    assert (f.dense, f.lexical, f.alignment, f.not_given) == (-1.0, 0.0, 12.0, ())
    found, confidence = decide(f)
    assert found is False and confidence < 0.5
    assert reason(f) == "No sentence in the documents is close in meaning to this."


def test_close_in_meaning_and_in_words_is_found():
    scores, allowed = ranking([0.80, 0.30], [1.0, 0.4])
    f = features(scores, [0, 1], allowed, "The baby stayed in hospital.", VOCABULARY, NO_PLACES,
                 query="Why was the baby in hospital?")
    assert (f.unknown, f.not_given) == ((), ())
    found, confidence = decide(f)
    assert found is True and 0.5 <= confidence <= 1.0


def test_names_and_numbers_the_documents_never_mention_make_it_not_found():
    query = "How many reviews were carried out in Wales in 2012?"
    assert unknown_names(query, VOCABULARY) == ("Wales", "2012")      # "How" opens the sentence: not a name
    scores, allowed = ranking([0.9, 0.8], [1.0, 0.9])
    f = features(scores, [0, 1], allowed, "In 2011, 40 reviews were carried out.", VOCABULARY, NO_PLACES, query=query)
    assert f.unknown == ("Wales", "2012") and f.dense == pytest.approx(0.9) and f.lexical == 1.0
    found, confidence = decide(f)
    assert found is False and confidence <= 0.25
    assert reason(f) == "The documents never mention Wales and 2012."
    known = features(scores, [0, 1], allowed, "t", VOCABULARY | {"wales", "2012"}, NO_PLACES, query=query)
    assert known.unknown == ()


def test_a_question_for_a_kind_of_fact_the_top_passage_lacks_is_not_found():
    scores, allowed = ranking([0.9, 0.8], [1.0, 0.9])
    query = "How long was the baby in hospital?"
    lacks = features(scores, [0, 1], allowed, "The baby stayed in hospital.", VOCABULARY, NO_PLACES, query=query)
    assert lacks.not_given == ("a length of time",)
    assert decide(lacks)[0] is False and decide(lacks)[1] <= 0.25
    assert reason(lacks) == "The closest passage does not give a length of time."
    has = features(scores, [0, 1], allowed, "The baby stayed in hospital for three weeks.", VOCABULARY, NO_PLACES,
                   query=query)
    assert has.not_given == () and decide(has)[0] is True


def test_a_place_is_given_only_by_the_documents_own_place_names():
    scores, allowed = ranking([0.9, 0.8], [1.0, 0.9])
    query = "Which council had an inadequate review?"
    places = frozenset({"Northtown"})
    named = features(scores, [0], allowed, "Area: Northtown · Grade: Inadequate", VOCABULARY, places, query=query)
    unnamed = features(scores, [0], allowed, "One review was inadequate.", VOCABULARY, places, query=query)
    assert named.not_given == () and unnamed.not_given == ("the name of a place",)


def test_a_quotation_is_found_whatever_else_is_missing():
    f = Features(dense=0.2, lexical=0.0, alignment=THRESHOLDS.quote + 5, unknown=("Wales",), not_given=("a date",))
    found, confidence = decide(f)
    assert found is True and confidence > 0.5


# -- search and check: the same decision, a claim held to more ------------------------------------------
def test_a_claim_must_be_said_not_merely_be_about():
    between = (THRESHOLDS.dense_min + THRESHOLDS.says_min) / 2
    f = Features(dense=between, lexical=1.0)
    assert decide(f)[0] is True and decide(f, claim=True)[0] is False
    assert reason(f, claim=True) == "No sentence in the documents is close in meaning to this."


# -- reason: one line, the most specific cause first ---------------------------------------------------
@pytest.mark.parametrize("f,claim,line", [
    (Features(0.1, 0.0, unknown=("Wales",), not_given=("a date",)), False, "The documents never mention Wales."),
    (Features(0.9, 1.0, not_given=("a date", "the name of a place")), False,
     "The closest passage does not give a date or the name of a place."),
    (Features(THRESHOLDS.dense_min - 0.01, 1.0), False, "No sentence in the documents is close in meaning to this."),
    (Features(0.9, THRESHOLDS.lexical_min - 0.01), False,
     "The passages closest in meaning do not share this text's key words."),
    (Features(0.9, 0.0), True, "The passages closest in meaning do not share this text's key words."),
], ids=["unknown-first", "not-given", "not-close", "words-disagree", "claim-words-disagree"])
def test_reason_names_the_first_cause(f, claim, line):
    assert decide(f, claim=claim)[0] is False
    assert reason(f, claim=claim) == line and "\n" not in line


def test_join_words():
    assert join_words(["Wales"]) == "Wales"
    assert join_words(["Wales", "2012"]) == "Wales and 2012"
    assert join_words(("a", "b", "c"), "or") == "a, b or c"


def test_a_topic_no_document_names_is_unknown():
    from search.decision import unknown_topic
    vocabulary = {"pupils", "schools", "children", "care", "council", "approach", "neglect"}
    assert unknown_topic("What does the guidance tell schools to do about pupils vaping?", vocabulary) == ("vaping",)
    assert unknown_topic("What does it say about vaping among children in care?", vocabulary) == ("vaping",)
    assert unknown_topic("What did it say about the council's approach to neglect?", vocabulary) == ()
    assert unknown_topic("Why had services gone downhill so fast?", vocabulary) == ()    # no topic named
