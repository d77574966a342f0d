"""The searcher on a small corpus indexed with the fake embedder (tests/conftest.py: SMALL_REPORT,
small_index, small_searcher): highlights, table listing, the answer, and the save/load round trip.
No real model: the fake embedder's vectors are a hashed bag of words, so a sentence that shares the
query's words is the closest in meaning."""
import numpy as np
import pytest

from index import store
from search.decision import decide, reason
from search.results import Span
from search.searcher import Searcher, Settings
from tests.conftest import FakeEmbedder

FIRST = "Health visitors weigh every baby at the eight week check."
SECOND = "The weight is plotted on a growth chart."
THIRD = "Missed appointments were common in the winter."
INADEQUATE = ["small/table-1/northtown", "small/table-1/eastvale", "small/table-1/midshire"]
GOOD = ["small/table-1/southtown", "small/table-1/westvale"]


def at(searcher, passage_id: str) -> int:
    return searcher.by_id[passage_id]


def sentence_units(searcher, i: int) -> list[int]:
    return [searcher.sentence_unit[(i, s.start_char, s.end_char)] for s in searcher.passages[i].sentences]


def test_the_small_corpus_is_what_the_tests_expect(small_searcher):
    """The control: paragraphs with several sentences, one unit per sentence, a five-row table."""
    p = small_searcher.passages[at(small_searcher, "small/background/1")]
    assert [s.text for s in p.sentences] == [FIRST, SECOND, THIRD]
    assert len(sentence_units(small_searcher, at(small_searcher, "small/background/1"))) == 3
    rows = [q.passage_id for q in small_searcher.passages if q.kind == "table-row"]
    assert sorted(rows) == sorted(INADEQUATE + GOOD)
    assert small_searcher.places == {"Northtown", "Southtown", "Eastvale", "Westvale", "Midshire"}


# -- highlights ---------------------------------------------------------------------------------------
def test_highlights_pick_the_sentence_that_matches_the_query(small_searcher):
    i = at(small_searcher, "small/background/1")
    query = "where is the weight plotted on a growth chart"
    spans = small_searcher.highlights(i, query, small_searcher.score(query)["unit"])
    assert spans[0].text == SECOND
    assert len(spans) <= small_searcher.settings.max_highlights
    text = small_searcher.index.texts["small"]
    assert all(text[s.start_char:s.end_char] == s.text for s in spans)      # exact offsets into the source
    query = "missed appointments in winter"
    assert small_searcher.highlights(i, query, small_searcher.score(query)["unit"])[0].text == THIRD


def test_highlight_meaning_outweighs_shared_words(small_searcher):
    """Dense similarity of each sentence, plus a little for the query's words it shares."""
    i = at(small_searcher, "small/background/1")
    first, second, third = sentence_units(small_searcher, i)
    unit_sim = np.zeros(len(small_searcher.unit_passage), dtype=np.float32)
    unit_sim[first] = 0.9
    spans = small_searcher.highlights(i, "missed appointments in winter", unit_sim)     # words of the third
    assert [s.text for s in spans] == [FIRST]           # the rest are more than 0.05 behind: not shown
    unit_sim[:] = 0.4                                   # equal in meaning: the shared words decide
    assert small_searcher.highlights(i, "missed appointments in winter", unit_sim)[0].text == THIRD


def test_highlights_show_near_ties_best_first_up_to_the_limit(small_searcher):
    i = at(small_searcher, "small/background/1")
    first, second, third = sentence_units(small_searcher, i)
    unit_sim = np.zeros(len(small_searcher.unit_passage), dtype=np.float32)
    unit_sim[[first, second, third]] = [0.50, 0.52, 0.51]
    assert [s.text for s in small_searcher.highlights(i, "zzz", unit_sim)] == [SECOND, THIRD]   # max_highlights=2
    small_searcher.settings = Settings(max_highlights=1)
    assert [s.text for s in small_searcher.highlights(i, "zzz", unit_sim)] == [SECOND]


def test_a_one_sentence_passage_is_highlighted_whole(small_searcher):
    i = at(small_searcher, "small/table-1/eastvale")
    p = small_searcher.passages[i]
    unit_sim = np.full(len(small_searcher.unit_passage), -1.0, dtype=np.float32)
    assert small_searcher.highlights(i, "nothing in common", unit_sim) == \
        [Span(p.sentences[0].start_char, p.sentences[0].end_char, p.sentences[0].text)]


# -- table listing ------------------------------------------------------------------------------------
def listed(searcher, top: str, query: str) -> list[str]:
    return [r.passage_id for r in searcher.table_listing([at(searcher, top)], searcher.query_terms(query))]


def test_a_question_over_a_whole_table_lists_every_matching_row(small_searcher):
    rows = small_searcher.table_listing([at(small_searcher, "small/table-1/eastvale")],
                                        small_searcher.query_terms("Which areas had a review judged inadequate?"))
    assert [r.passage_id for r in rows] == INADEQUATE                   # in the table's order, the top one included
    assert [r.citation for r in rows] == [f"Test (2020) Small report, Table 1 · {n}"
                                          for n in ("Northtown", "Eastvale", "Midshire")]
    text = small_searcher.index.texts["small"]
    assert all("Inadequate" in r.text and "Inadequate" in text[r.start_char:r.end_char] for r in rows)


def test_table_listing_takes_the_term_that_picks_the_fewest_rows(small_searcher):
    assert listed(small_searcher, "small/table-1/northtown", "inadequate or good") == GOOD


@pytest.mark.parametrize("query", ["which were published", "what about Southtown", "nothing matches here"],
                         ids=["every-row", "one-row", "no-row"])
def test_no_listing_when_a_term_picks_every_row_one_row_or_none(small_searcher, query):
    assert listed(small_searcher, "small/table-1/northtown", query) == []


def test_no_listing_unless_the_top_result_is_a_table_row(small_searcher):
    terms = small_searcher.query_terms("Which areas had a review judged inadequate?")
    assert small_searcher.table_listing([at(small_searcher, "small/background/1")], terms) == []
    assert small_searcher.table_listing([at(small_searcher, "small/table-1")], terms) == []   # the table itself
    assert small_searcher.table_listing([], terms) == []


def test_search_answers_a_whole_table_question_with_its_rows(small_searcher):
    out = small_searcher.search("Which areas had a review judged inadequate?", k=5, kinds={"table-row"})
    assert out.results[0].kind == "table-row"
    assert [r.passage_id for r in out.answer.table_rows] == INADEQUATE
    assert small_searcher.search("where is the weight plotted", k=5).answer.table_rows is None


# -- the answer ---------------------------------------------------------------------------------------
def test_search_cites_the_passage_and_answers_with_its_best_sentence(small_searcher, fake_embedder):
    out = small_searcher.search("Where is the weight plotted on a growth chart?", k=3)
    top = out.results[0]
    assert (top.rank, top.passage_id, top.citation) == (1, "small/background/1", "Test (2020) Small report, Background")
    assert top.highlights[0].text == SECOND
    assert out.answer.found is True and out.answer.text == SECOND and out.answer.passage_id == top.passage_id
    assert out.model == {"preset": "fast", "model_id": "fake/hash-embedder"}
    assert fake_embedder.queries == [["Where is the weight plotted on a growth chart?"]]   # the fake, once


def test_the_answer_is_the_decision_on_the_same_ranking(small_searcher):
    query = "Which areas in Wales had an inadequate review?"
    out = small_searcher.search(query, k=5)
    facts = small_searcher.facts(small_searcher.rank(query))
    assert facts.unknown == ("Wales",)
    assert out.answer.found is decide(facts)[0] is False
    assert out.answer.not_mentioned == ["Wales"] and out.answer.reason == reason(facts) == \
        "The documents never mention Wales."


# -- save and load: what build had in memory is what comes back, through a second write too ------------
def test_save_load_round_trip_keeps_everything(tmp_path, monkeypatch, fake_embedder):
    from index.build import build
    from tests.conftest import SMALL_ENTRY, SMALL_REPORT, write_corpus
    written = []
    real_write = store.write_index

    def keep(index_dir, manifest, documents, passages, units, vectors, texts):
        written.append((manifest, list(documents), list(passages), [u if isinstance(u, dict) else u.to_dict()
                                                                     for u in units], np.array(vectors), dict(texts)))
        return real_write(index_dir, manifest, documents, passages, units, vectors, texts)
    monkeypatch.setattr(store, "write_index", keep)
    corpus = write_corpus(tmp_path / "corpus", {"small.txt": SMALL_REPORT}, [SMALL_ENTRY])
    build(corpus, tmp_path / "first", progress=False)
    [(manifest, documents, passages, units, vectors, texts)] = written

    def same_as_in_memory(loaded: store.LoadedIndex):
        assert loaded.documents == {d.id: d for d in documents}
        assert loaded.passages == passages and loaded.units == units and loaded.texts == texts
        assert loaded.vectors.dtype == np.float32 and np.array_equal(loaded.vectors, vectors)
        assert {k: loaded.manifest[k] for k in manifest} == manifest

    first = store.load_index(tmp_path / "first")
    same_as_in_memory(first)
    with store.ingest_lock(tmp_path / "second"):       # written again from what was loaded
        real_write(tmp_path / "second", first.manifest, list(first.documents.values()), first.passages,
                   first.units, first.vectors, first.texts)
    second = store.load_index(tmp_path / "second")
    same_as_in_memory(second)
    assert second.path != first.path

    in_memory = Searcher(store.LoadedIndex(tmp_path / "nowhere", first.manifest, {d.id: d for d in documents},
                                           passages, units, vectors, texts), fake_embedder, fake_embedder.info)
    reopened = Searcher.open(tmp_path / "second")
    for q in ("weight plotted on a growth chart", "Which areas had a review judged inadequate?", "fathers"):
        assert reopened.search(q) == in_memory.search(q) and reopened.search(q).results


def test_another_fake_model_is_not_the_one_that_built_the_small_index(small_index, monkeypatch):
    FakeEmbedder(fingerprint="another-fake-model").install(monkeypatch)
    with pytest.raises(store.IndexLoadError, match="another-fak"):
        Searcher.open(small_index)


FOSTERING = """Fostering report

Findings

Children living in private fostering arrangements do not have an individual assessment of their needs.

Recommendations

Ensure that every child in a private fostering arrangement has an individual assessment of their needs and that private fostering practice meets statutory requirements.
"""


@pytest.fixture
def fostering(tmp_path, fake_embedder):
    from index.build import build
    from tests.conftest import write_corpus
    corpus = write_corpus(tmp_path / "corpus", {"fostering.txt": FOSTERING})
    build(corpus, tmp_path / "index", progress=False)
    return Searcher.open(tmp_path / "index")


def test_a_question_gets_the_finding_not_the_recommendation_that_restates_it(fostering):
    finding, recommendation = at(fostering, "fostering/findings/1"), at(fostering, "fostering/recommendations/1")
    question = "What was the problem with private fostering assessment of needs and statutory requirements?"
    ranking = fostering.rank(question)
    assert int(np.argmax(ranking.fused)) == recommendation          # closer by the (fake) meaning and words
    assert ranking.order[0] == finding
    asking = "What did inspectors recommend for private fostering assessment and statutory requirements?"
    assert fostering.rank(asking).order[0] == recommendation


def test_a_query_asking_what_should_be_done_gets_the_recommendation(fostering):
    finding, recommendation = at(fostering, "fostering/findings/1"), at(fostering, "fostering/recommendations/1")
    asking = "What should change for children living in private fostering arrangements who do not have one?"
    ranking = fostering.rank(asking)
    assert int(np.argmax(ranking.fused)) == finding                 # closer by the (fake) meaning and words
    assert ranking.order[0] == recommendation
    graded = "Children living in private fostering arrangements: the service requires improvement to be good."
    ranking = fostering.rank(graded)
    assert int(np.argmax(ranking.fused)) == finding and ranking.order[0] == finding    # a grade asks for nothing


def test_a_notice_every_report_repeats_is_boilerplate_whatever_its_punctuation():
    from ingest.passage import Passage
    from search.searcher import BOILERPLATE_DOCUMENTS, boilerplate
    notice = ["Ofsted regulates childcare and children’s social care, and inspects the Children and Family Court.",
              "Ofsted regulates childcare and children's social care and inspects the Children and Family Court."]
    n = BOILERPLATE_DOCUMENTS
    passages = [Passage(f"d{k}/1", f"d{k}", "paragraph", None, [], notice[k % 2], 0, 10, f"d{k}") for k in range(n)]
    passages += [Passage("d0/2", "d0", "paragraph", None, [], "Fathers were rarely seen by agencies.", 0, 10, "d0")]
    assert boilerplate(passages).tolist() == [1.0] * n + [0.0]
    assert not boilerplate(passages[1:]).any()                        # in one document too few
    notice = "The Office for Standards in Education, Children’s Services and Skills (Ofsted) regulates childcare."
    alone = [Passage("d9/1", "d9", "paragraph", None, [], notice, 0, 10, "d9")]
    assert boilerplate(alone).tolist() == [1.0]                       # a publisher's notice, in any wording


def test_sentence_terms_are_the_sentences_own_whatever_their_offsets(small_searcher):
    """Offsets are per document: two documents' sentences at the same offsets keep their own terms."""
    from ingest.passage import Sentence
    one, other = Sentence(0, 25, "Fathers were rarely seen."), Sentence(0, 25, "Weights plotted on charts.")
    assert "father" in small_searcher.sentence_terms(one)
    assert "chart" in small_searcher.sentence_terms(other) and "father" not in small_searcher.sentence_terms(other)


def test_a_phrase_in_quotation_marks_takes_a_passage_that_has_it():
    """Quotation marks ask for the phrase itself (not the apostrophe of "Bradford's")."""
    from types import SimpleNamespace
    from search.first import phrase_first
    texts = ["A looked-after child is a child in the care of a local authority.",
             "A previously looked-after child is one who is no longer looked after.",
             "Bradford's services for previously looked-after children improved."]
    s = SimpleNamespace(passages=[SimpleNamespace(text=t) for t in texts])
    assert phrase_first(s, "How is a 'previously looked-after child' defined?", [0, 1, 2]) == [1, 0, 2]
    assert phrase_first(s, "How is a “previously looked-after child” defined?", [0, 2, 1]) == [1, 0, 2]
    assert phrase_first(s, "How is a looked-after child defined?", [0, 1, 2]) == [0, 1, 2]   # no quotation marks
    assert phrase_first(s, "Bradford's 'care leavers' offer", [0, 1, 2]) == [0, 1, 2]          # no passage has it


def test_a_term_typed_twice_counts_once_in_bm25():
    from index.lexical import BM25Index
    bm25 = BM25Index(["Social workers visited the family.", "The family moved house.", "Nothing here."])
    assert np.allclose(bm25.scores("social social social family"), bm25.scores("social family"))


GLOSSARY_CORPUS = {
    "a.txt": "Report A\n\nSocial workers in the social work service and social services said that the "
             "children's services were busy.\n",
    "b.txt": "Report B\n\nReferrals to children's social care rose after the arena attack.\n",
}


def test_the_glossarys_other_names_count_less_than_the_querys_own_words(tmp_path, fake_embedder):
    """"children's social care" has eight other names in the glossary ("social work", "social services"…).
    Added to the query, they outweighed its own rare words: the passage that only repeats those
    names ranked above the one that has the query's words."""
    from index.build import build
    from tests.conftest import write_corpus
    build(write_corpus(tmp_path / "corpus", GLOSSARY_CORPUS), tmp_path / "index", progress=False)
    s = Searcher.open(tmp_path / "index")
    query = "Did the arena attack change demand on children's social care?"
    a, b = (next(i for i, p in enumerate(s.passages) if p.document == d and "social" in p.text.lower())
            for d in ("a", "b"))
    lexical = s.lexical(query)
    assert lexical[b] > lexical[a] > s.backend.lexical_scores(query)[a]     # A earns something from the names
    assert s.rank(query).order[0] == b
    expanded = s.backend.lexical_scores(s.glossary.expand(query))           # the names as part of the query
    assert expanded[a] > expanded[b]
