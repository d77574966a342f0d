"""`askreport check` on the real text of Ofsted's "Ages of concern" with the real model, and the one
calibrated found / not-found decision it shares with search (search.decision)."""
import json
from pathlib import Path

import pytest

from search.decision import THRESHOLDS, Features, Thresholds, decide, lexical_support

ROOT = Path(__file__).resolve().parent.parent
REPORT = (ROOT / "corpus" / "ages-of-concern.txt").read_text(encoding="utf-8")
RESULT_KEYS = {"rank", "passage_id", "document", "paragraph", "section", "kind", "label", "text", "score",
               "source", "start_char", "end_char", "highlights", "citation"}


# --- the decision, on hand-made features (no model) -------------------------------------------------

def test_decide_needs_meaning_and_words_to_agree():
    t = THRESHOLDS
    assert decide(Features(dense=0.80, lexical=1.0))[0] is True
    assert decide(Features(dense=t.dense_min + 0.01, lexical=t.lexical_min + 0.01))[0] is True
    assert decide(Features(dense=t.dense_min - 0.01, lexical=1.0))[0] is False          # nothing means this
    assert decide(Features(dense=0.95, lexical=t.lexical_min - 0.01))[0] is False       # the words disagree
    assert decide(Features(dense=0.95, lexical=0.0))[0] is False                        # no shared term


def test_decide_confidence_is_monotone_and_crosses_one_half_at_the_boundary():
    for f in [Features(0.2, 1.0), Features(0.5, 0.9), Features(0.6, 0.3), Features(0.9, 0.8), Features(0.9, 0.0)]:
        found, conf = decide(f)
        assert 0.0 <= conf <= 1.0 and found == (conf >= 0.5)
    denser = [decide(Features(d, 0.9))[1] for d in (0.3, 0.5, 0.55, 0.7, 0.9)]
    assert denser == sorted(denser) and denser[0] < 0.5 < denser[-1]
    wordier = [decide(Features(0.8, x))[1] for x in (0.1, 0.3, 0.5, 0.7, 1.0)]
    assert wordier == sorted(wordier) and wordier[0] < 0.5 < wordier[-1]


def test_decide_a_quotation_is_found_whatever_the_search_scores():
    assert decide(Features(0.3, 0.0, alignment=THRESHOLDS.quote))[0] is True
    assert decide(Features(0.3, 0.0, alignment=THRESHOLDS.quote - 1))[0] is False
    assert decide(Features(0.3, 0.0, alignment=None))[0] is False
    assert decide(Features(0.3, 0.0, alignment=100.0))[1] == pytest.approx(1.0)


def test_decide_takes_other_thresholds():
    strict = Thresholds(dense_min=0.9, lexical_min=0.99)
    assert decide(Features(0.8, 1.0), strict)[0] is False and decide(Features(0.8, 1.0))[0] is True


def test_lexical_support_is_a_share_of_the_best_score_search_could_return():
    import numpy as np
    bm25 = np.array([0.0, 0.5, 0.25, 0.4, 1.0])
    allowed = np.array([True, True, True, True, False])    # the last is a heading: never returned
    assert lexical_support(bm25, [2], allowed) == pytest.approx(0.5)
    assert lexical_support(bm25, [2, 1, 3], allowed) == pytest.approx(1.0)
    assert lexical_support(bm25, [0], allowed) == 0.0
    assert lexical_support(np.zeros(5), [1], allowed) == 0.0   # no query term anywhere
    assert lexical_support(bm25, [], allowed) == 0.0


# --- every verdict in the terminal, on constructed results (no model) --------------------------------

def _hit(rank: int, text: str, **extra):
    from search.results import Hit, Span
    start = 100 * rank
    return Hit(rank, f"doc/p{rank}", "doc", str(rank), ["Part"], "paragraph", f"para {rank}", text, 0.5,
               "corpus/doc.txt", start, start + len(text), [Span(start, start + len(text), text)],
               f"Test (2020) Doc, para {rank}", **extra)


def _constructed(verdict: str):
    """A CheckResult for `verdict` as check() would build it: a first match, then two others."""
    from search.results import CheckResult, Span
    first_text = "Seventy-seven girls and 73 boys were the subjects of the reviews."
    extra = {"differences": []}
    if verdict in ("verbatim", "near-verbatim", "figures-differ"):
        extra["match"] = Span(100, 100 + len(first_text), first_text)
    if verdict == "near-verbatim":
        extra["differences"] = [{"kind": "spelling", "query": "girlz", "source": "girls", "start_char": 114,
                                 "end_char": 119}]
    if verdict == "figures-differ":
        extra["differences"] = [{"kind": "number", "query": "70", "source": "Seventy-seven", "query_value": 70,
                                 "source_value": 77, "start_char": 100, "end_char": 113}]
    matches = [_hit(1, first_text, **extra), _hit(2, "Another passage about the reviews.", differences=[]),
               _hit(3, "A third passage, further away.", differences=[])]
    return CheckResult("the text checked", verdict, 0.87, f"Explanation for {verdict}.", matches)


@pytest.mark.parametrize("verdict,head,title,others", [
    ("verbatim", "VERBATIM", "Source", "Also at"),
    ("near-verbatim", "NEAR-VERBATIM", "Source", "Also near"),
    ("paraphrase", "PARAPHRASE", "Closest passage — read it", "Also near"),
    ("figures-differ", "FIGURES DIFFER", "Source", "Also near"),
    ("not-found", "NOT FOUND", "Nearest passage (it does not say this)", "Also near"),
])
def test_every_verdict_renders_for_the_terminal(verdict, head, title, others):
    from present.text import check_text
    out = _constructed(verdict)
    lines = check_text(out).splitlines()
    assert lines[:2] == [f"{head}  (similarity 0.87)", f"Explanation for {verdict}."]
    assert f"{title}: Test (2020) Doc, para 1" in lines
    assert f"{others}: Test (2020) Doc, para 2" in lines and f"{others}: Test (2020) Doc, para 3" in lines
    shown = "\n".join(lines)
    assert "Seventy-seven girls and 73 boys" in shown
    if verdict in ("verbatim", "near-verbatim", "figures-differ"):
        assert "“Seventy-seven girls and 73 boys were the subjects of the reviews.”" in shown   # the exact span
    if verdict == "near-verbatim":
        assert "- “girlz” for the source’s “girls”" in shown
    if verdict == "figures-differ":
        assert "- the source gives “Seventy-seven” where the text says “70”" in shown


# --- the check, on the report ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def searcher(real_searcher):
    return real_searcher


@pytest.fixture(scope="session")
def checked(searcher):
    """check(searcher, text) -> CheckResult, each text checked once per session."""
    from check.checker import check
    cache = {}

    def go(text):
        if text not in cache:
            cache[text] = check(searcher, text)
        return cache[text]
    return go


@pytest.fixture(scope="session")
def run(checked):
    """The JSON of a check (its contract: `check --json`)."""
    return lambda text: checked(text).to_json()


def source_is_first(out):
    """The first match is the passage holding the matched span, never a heading."""
    m = out["matches"][0]
    span = m.get("match")
    assert m["kind"] not in ("heading", "title")
    if span:
        assert m["start_char"] <= span["start_char"] < span["end_char"] <= m["end_char"]
        assert REPORT[span["start_char"]:span["end_char"]] == span["text"]
    return m


@pytest.mark.slow
def test_verbatim_with_a_straight_apostrophe_for_the_reports_curly_one(run):
    out = run("the fragility of babies and their rate of development in the early months mean that "
              "agencies' swift response is even more essential")
    assert out["verdict"] == "verbatim" and out["similarity"] == 1.0
    m = source_is_first(out)
    assert m["label"] == "para 5"
    assert m["match"]["text"].endswith("agencies’ swift response is even more essential")
    assert m["differences"] == []


@pytest.mark.slow
def test_verbatim_with_double_curly_quotes_around_the_reports_single_ones(run):
    out = run("“Young teenage parents need to be supported in an environment in which they feel "
              "comfortable and supported.”")
    assert out["verdict"] == "verbatim"
    m = source_is_first(out)
    assert m["match"]["text"].startswith("Young teenage parents need to be supported")
    assert m["highlights"][0]["start_char"] <= m["match"]["start_char"] < m["highlights"][0]["end_char"]


@pytest.mark.slow
def test_near_verbatim_with_a_typo(run):
    out = run("Another message is the importance of not closing cases too quikly after the baby's birth.")
    assert out["verdict"] == "near-verbatim" and 0.9 <= out["similarity"] < 1.0
    m = source_is_first(out)
    assert m["label"] == "para 10"
    (d,) = m["differences"]
    assert (d["kind"], d["query"], d["source"]) == ("spelling", "quikly", "quickly")
    assert REPORT[d["start_char"]:d["end_char"]] == "quickly"
    assert "quikly" in out["explanation"] and "quickly" in out["explanation"]


@pytest.mark.slow
def test_near_verbatim_with_a_us_spelling(run):
    out = run("Even when they were looked after, staff were unable to prevent their frequent absconding "
              "or to manage their challenging behavior.")
    assert out["verdict"] == "near-verbatim"
    m = source_is_first(out)
    assert m["label"] == "para 62"
    assert [(d["query"], d["source"]) for d in m["differences"]] == [("behavior", "behaviour")]


@pytest.mark.slow
def test_near_verbatim_with_an_elision(run):
    out = run("Reviews identified the need for agencies to provide a very quick response ... the fragility "
              "of babies and their rate of development in the early months")
    assert out["verdict"] == "near-verbatim"
    m = source_is_first(out)
    assert m["label"] == "para 5"
    (d,) = m["differences"]
    assert d["kind"] == "elision" and "concerns about the baby’s welfare" in d["source"]
    assert m["match"]["text"].startswith("Reviews identified") and m["match"]["text"].endswith("early months")


@pytest.mark.slow
def test_paraphrase_of_a_real_sentence_points_at_its_passage_and_sentence(run, checked, searcher):
    from present.text import check_text
    text = "Two teenage girls who were sexually exploited had been in care and were known to many agencies for years."
    out = run(text)
    assert out["verdict"] == "paraphrase"
    m = source_is_first(out)
    assert m["label"] == "para 61" and "match" not in m and m["differences"] == []
    assert m["highlights"] and m["highlights"][0]["text"] in m["text"]
    shown = check_text(checked(text))
    assert "closest passage — read it" in shown.lower() and "true" not in shown.lower()
    assert searcher.search(text).answer.found is True              # the same decision as search


@pytest.mark.slow
def test_figures_differ_number_words_against_digits(run):
    out = run("70 girls and 73 boys were the subjects of the serious case reviews")
    assert out["verdict"] == "figures-differ"
    m = source_is_first(out)
    figures = [d for d in m["differences"] if d["kind"] == "number"]
    assert [(d["query"], d["source"], d["query_value"], d["source_value"]) for d in figures] == \
        [("70", "Seventy-seven", 70, 77)]
    assert REPORT[figures[0]["start_char"]:figures[0]["end_char"]] == "Seventy-seven"
    assert "70" in out["explanation"] and "Seventy-seven" in out["explanation"]


@pytest.mark.slow
def test_the_same_figure_in_digits_is_not_a_difference(run):
    out = run("77 girls and 73 boys were the subjects of the serious case reviews")
    assert out["verdict"] in ("verbatim", "near-verbatim")
    m = source_is_first(out)
    assert not [d for d in m["differences"] if d["kind"] == "number"]


@pytest.mark.slow
def test_figures_differ_against_a_table_row_stated_in_other_words(run):
    out = run("A house fire or arson caused the deaths of nine children.")
    assert out["verdict"] == "figures-differ"
    m = source_is_first(out)
    assert m["kind"] == "table-row" and "House fire/arson" in m["text"]
    (d,) = m["differences"]
    assert (d["query"], d["source"], d["query_value"], d["source_value"]) == ("nine", "4", 9, 4)
    assert m["start_char"] <= d["start_char"] < d["end_char"] <= m["end_char"]
    assert REPORT[d["start_char"]:d["end_char"]] == "4"
    assert run("Four children died because of a house fire or arson.")["verdict"] == "paraphrase"


def test_unstated_compares_values_not_spellings():
    from check.figures import claim_figures, unstated
    figures = claim_figures("Just over a third of 602 children, seventy-seven girls, one boy")
    assert [f.text for f in figures] == ["a third", "602", "seventy-seven"]     # a lone "one" is a word
    assert unstated(figures, "210 (35%) of the 602 children; 77 girls") == []
    assert [f.text for f in unstated(figures, "210 (40%) of the 602 children")] == ["a third", "seventy-seven"]


@pytest.mark.slow
def test_a_paraphrase_that_adds_a_figure_is_not_found(run):
    claim = "a mother suffocated her baby the day before a mental health appointment that had been arranged quickly."
    assert run(claim[0].upper() + claim[1:])["verdict"] == "paraphrase"
    out = run("In 12 cases " + claim)           # the same passage, which never says 12
    assert out["verdict"] == "not-found" and "“12”" in out["explanation"] and out["adds"] == ["the figure “12”"]
    assert out["matches"][0]["paragraph"] == "27"


def test_what_a_claim_adds_to_its_passage():
    from check.figures import additions
    died = "In 31 of the 51 cases concerning children less than one year of age, the baby had died."
    assert additions("Of the 51 reviews about babies under one, 31 concerned a baby who died.", died, died) == []
    assert additions("31 babies died because medical staff did too little.", died, died) == \
        ["a cause (“because medical staff did too little”)"]
    assert additions("Hundreds of babies died.", died, died) == ["a count (“Hundreds”)"]
    assert additions("Dozens of babies died.", died, died) == []                     # 31 and 51 are dozens
    seen = "The baby was seen by a health visitor after discharge."
    assert additions("The baby was seen by a health visitor at least once a week.", seen, seen) == \
        ["a frequency (“once a week”)"]
    assert additions("The girl had been excluded from school a month earlier.", seen, seen) == \
        ["a length of time (“a month”)"]
    assert additions("Fewer than half of the babies had a pre-birth assessment.", seen, seen) == \
        ["a proportion (“Fewer than half”)"]
    known = "Of the 150 children, 119 were known to children's social care. A 14-year-old boy died."
    assert additions("Most of the children were known to social care; the boy was 14 years old.", known, known) == []
    stated = "Reviews were delayed because agencies did not share information."
    assert additions("Reviews were late because agencies kept information to themselves.", stated, stated) == []


@pytest.mark.slow
def test_an_added_count_is_not_stated_and_a_faithful_paraphrase_is_a_paraphrase(run):
    out = run("Hundreds of babies have died because medical staff did too little.")
    assert out["verdict"] == "not-found" and "a count (“Hundreds”)" in out["adds"]
    assert "does not state" in out["explanation"]
    assert run("Of the 51 reviews about babies under one, 31 concerned a baby who died.")["verdict"] == "paraphrase"


@pytest.mark.slow
def test_a_claim_with_another_share_than_its_source_names_both(run):
    out = run("Of the children in the reviews, 111 (24%) were young people over the age of 14.")
    assert out["verdict"] == "figures-differ"
    (d,) = out["matches"][0]["differences"]
    assert (d["query"], d["source"]) == ("24%", "18%") and "“18%” where the text says “24%”" in out["explanation"]


@pytest.mark.slow
def test_a_claim_finds_the_passage_that_states_its_figures(run):
    out = run("Just over a third of the children in reviews evaluated between 2007 and 2011 were babies under one.")
    assert out["verdict"] == "paraphrase" and out["matches"][0]["paragraph"] == "4"     # "210 (35%)"


@pytest.mark.slow
def test_not_found_for_something_the_report_never_says(run, checked, searcher):
    from present.text import check_text
    text = "Ofsted recommends that every school employs a full-time social worker for teenagers."
    out = run(text)
    assert out["verdict"] == "not-found"
    assert out["matches"] and all(m["differences"] == [] and "match" not in m for m in out["matches"])
    assert "nearest passage" in check_text(checked(text)).lower()
    assert searcher.search(text).answer.found is False             # the same decision as search


@pytest.mark.slow
def test_json_shape_is_search_results_plus_differences(run, searcher):
    text = "Staff were unable to prevent their frequent absconding or to manage their challenging behavior."
    out = json.loads(json.dumps(run(text), ensure_ascii=False))
    assert set(out) == {"query", "verdict", "similarity", "explanation", "matches"}
    assert isinstance(out["explanation"], str) and "\n" not in out["explanation"]
    assert 0.0 <= out["similarity"] <= 1.0
    assert set(searcher.search(text, k=1).to_json()["results"][0]) == RESULT_KEYS
    for n, m in enumerate(out["matches"], 1):
        assert set(m) - {"match"} == RESULT_KEYS | {"differences"} and m["rank"] == n
        assert m["citation"].startswith("Ofsted (2011) Ages of concern")
    assert set(out["matches"][0]["match"]) == {"start_char", "end_char", "text"}
    assert len({m["passage_id"] for m in out["matches"]}) == len(out["matches"])


# One text per verdict, each from the tests above; the first line of the terminal view, and what the
# first match is called.
EVERY_VERDICT = {
    "verbatim": ("the importance of not closing cases too quickly", "VERBATIM", "Source"),
    "near-verbatim": ("the importance of not closing cases too quikly", "NEAR-VERBATIM", "Source"),
    "paraphrase": ("Two teenage girls who were sexually exploited had been in care and were known to many "
                   "agencies for years.", "PARAPHRASE", "Closest passage — read it"),
    "figures-differ": ("70 girls and 73 boys were the subjects of the serious case reviews", "FIGURES DIFFER",
                       "Source"),
    "not-found": ("Ofsted recommends that every school employs a full-time social worker for teenagers.",
                  "NOT FOUND", "Nearest passage (it does not say this)"),
}


@pytest.mark.slow
@pytest.mark.parametrize("verdict", EVERY_VERDICT)
def test_every_verdict_prints_for_the_terminal(checked, verdict):
    from present.text import check_text
    text, head, title = EVERY_VERDICT[verdict]
    out = checked(text)
    assert out.verdict == verdict
    lines = check_text(out).splitlines()
    assert lines[0] == f"{head}  (similarity {out.similarity:.2f})"
    assert lines[1] == out.explanation
    assert f"{title}: {out.matches[0].citation}" in lines
    assert out.matches[0].citation.startswith("Ofsted (2011) Ages of concern")


@pytest.mark.slow
def test_an_empty_text_is_refused(searcher):
    from check.checker import check
    from search.searcher import QueryError
    with pytest.raises(QueryError):
        check(searcher, "   ")


def test_a_claims_source_weighs_shared_words_as_search_does_for_that_passage():
    """Two passages as close in meaning: the one sharing the claim's words wins where search weighs
    words heavily (a PDF's passages), the one a little closer in meaning where it does not (a report's)."""
    from types import SimpleNamespace
    import numpy as np
    from check.checker import best_passage
    scores = {"dense_sentence": np.array([0.62, 0.60], dtype=np.float32), "bm25": np.array([0.2, 1.0], dtype=np.float32),
              "named": np.zeros(2, dtype=np.float32)}
    passage = SimpleNamespace(text="No figures here.")
    weights = lambda bm25: {"w_dense_passage": 0.35, "w_dense_sentence": 0.5, "w_bm25": bm25, "w_named": 0.45}
    pdf = SimpleNamespace(weights=weights(0.3), passages=[passage, passage])
    report = SimpleNamespace(weights=weights(0.01), passages=[passage, passage])
    assert best_passage(pdf, scores, [0, 1]) == 1
    assert best_passage(report, scores, [0, 1]) == 0
