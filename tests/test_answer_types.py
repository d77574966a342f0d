"""Answer types (index.answer_types): what kind of fact a question asks for, whether a passage
gives one, and how that makes search and check say "the report does not answer this"."""
import pytest

from search.answer_types import (TYPES, area_names, asked, asks_another_council, directive, gives, lower_case_words,
                                 not_given)
from search.decision import THRESHOLDS, Features, decide, reason

BY_NAME = {t.name: t for t in TYPES}


@pytest.mark.parametrize("question, kinds", [
    ("What does it cost to commission a review?", {"money"}),
    ("how much money did the board spend", {"money"}),
    ("How long did the family wait for an assessment?", {"duration"}),
    ("how many weeks old was the baby", {"duration", "count"}),
    ("What prison sentence did the father receive?", {"penalty"}),
    ("Was the mother sent to prison?", {"penalty"}),
    ("How old was the girl when she died?", {"age"}),
    ("At what age are young people treated as adults?", {"age"}),
    ("In which year was the Children Act passed?", {"date"}),
    ("Which local authority did the review come from?", {"place"}),
    ("Which council was responsible", {"place"}),
    ("What grade did the review get?", {"grade"}),
    ("How was the review judged by Ofsted?", {"grade"}),
    ("How many babies died?", {"count"}),
    ("On average, how many months does a review take?", {"duration", "count"}),
    ("How often should a child's health be reviewed?", {"frequency"}),
    ("How frequently must the lead redo the training?", {"frequency"}),
    ("What percentage of care leavers were in work?", {"share"}),
    ("What maximum caseload does the framework set?", {"count", "limit"}),
    ("What is the maximum number of children a social worker may hold?", {"limit"}),
    ("How many children may a social worker hold at once?", {"count", "limit"}),
    ("Who was the director of children's services in 2014?", {"person"}),
    ("What was the name of Swindon's director of children's services?", {"person"}),
    ("Who is the independent author of the review?", {"person"}),
    ("Which neighbouring council runs the out-of-hours service?", {"place"}),
    ("How much can parents be fined?", {"money"}),
    ("What starting salary did the council offer newly qualified social workers?", {"money"}),
    ("How much was the council spending on agency staff?", {"money"}),
    ("What is the maximum fine for a parent?", {"money", "limit"}),
    ("When did the council hand its services to a trust?", {"date"}),
    ("When a child goes missing, what should the school do?", set()),    # "when" joining, not asking
    ("How much pupil premium funding does a child attract?", {"money"}),
    ("Exactly how many children were living in unregistered homes?", {"count", "exact"}),
    ("What was the average number of cases per social worker?", {"exact"}),
    ("What was the average caseload in the assessment team?", {"exact"}),
])
def test_a_question_asks_for_its_kind_of_fact(question, kinds):
    assert {t.name for t in asked(question)} == kinds


@pytest.mark.parametrize("text", [
    "Why were reviews held for older teenagers?",          # open questions: no type to check
    "What should a GP do at the 8-week check?",
    "Which areas of practice did reviews criticise?",       # "area" of practice is not a place
    "What did inspectors say about social workers' salaries and caseloads?",   # about pay, not asking an amount
    "The cost of the review was high.",                     # a statement, not a question
    "Reviews took six months.",
    "The father was sent to prison.",
    "What is the name of the programme the council's leaders were delivering?",   # a programme, not a person
    "Who talks to children after they have been missing?",  # a role answers
    "What most concerned inspectors?",
])
def test_open_questions_and_statements_ask_for_no_type(text):
    assert asked(text) == []


@pytest.mark.parametrize("kind, yes, no", [
    ("money", "The review cost £12,500.", "The board commissioned a review."),
    ("duration", "for a period of three months during the pregnancy", "there was a long delay"),
    ("duration", "not begun until the seventh month of the pregnancy", "early in the pregnancy"),
    ("penalty", "After a period in custody, he offended again.", "He was charged with assault."),
    ("age", "a young Polish national of 17", "a young Polish national"),
    ("age", "she died aged less than four weeks", "she died in hospital"),
    ("date", "Children Act 1989", "the Children Act"),
    ("grade", "The review was judged inadequate.", "The review was evaluated."),
    ("count", "Nine children were looked after.", "Children were looked after."),
    ("count", "In 31 of the 51 cases", "In these cases"),
    ("count", "12. In 31 of the 51 cases", "2. Take action to re-establish contact with care leavers."),
    ("duration", "absent for ten school days or more", "absent from school"),
    ("frequency", "updated at least every two years", "updated when needed"),
    ("frequency", "reviewed twice a year", "reviewed by the nurse"),
    ("frequency", "at least once every six months", "a duty to every child they look after"),
    ("frequency", "visits every other week", "once the child is settled"),
    ("share", "25% of its care leavers", "most of its care leavers"),
    ("share", "a third of the children", "all of the children"),
    ("limit", "no more than 15 children at any one time", "manageable caseloads"),
    ("limit", "a caseload of up to twenty children", "plans are up to date"),
    ("limit", "a fine of up to £2,500", "a fine of £60"),
    ("person", "The director, Dr Patel, took up post in 2013.", "The director took up post in 2013."),
    ("exact", "Social workers hold 18 children each.", "Most social workers have manageable caseloads."),
    ("exact", "caseloads of between fifteen and twenty", "6. Since the last inspection in November 2021, caseloads fell."),
])
def test_a_passage_gives_a_fact_of_a_kind_or_not(kind, yes, no):
    assert gives(BY_NAME[kind], yes) and not gives(BY_NAME[kind], no)


def test_a_persons_name_is_capitalised_words_the_documents_never_write_in_lower_case():
    lower = lower_case_words(["The director of children's services and the lead member took up post."])
    person = BY_NAME["person"]
    assert gives(person, "Jansy Kelly, the director, took up post.", lower=lower)
    assert not gives(person, "The Director of Children's Services took up post.", lower=lower)
    assert not gives(person, "Children's Services were reorganised.", lower=lower)


def test_places_are_named_by_the_documents_own_tables(passages):
    places = area_names(passages)
    assert {"York", "Birmingham", "Barking & Dagenham"} <= places
    assert not places & {"Outstanding", "Good", "Inadequate", "Total", "Homicide"}   # Table 1 and 4 rows
    assert gives(BY_NAME["place"], "Local Safeguarding Children Board: York", places)
    assert not gives(BY_NAME["place"], "a team in England", places)


def test_not_given_lists_only_what_no_text_gives():
    q = "How long was the baby in hospital, and how many visits were there?"
    assert not_given(q, ["He stayed for three weeks."]) == ()                 # three weeks: a length, a number
    assert not_given(q, ["He stayed in hospital."]) == ("a length of time", "a number")
    assert not_given("Why was he in hospital?", ["He stayed in hospital."]) == ()


def test_a_missing_kind_of_fact_overrides_strong_similarity():
    strong = Features(dense=0.9, lexical=1.0)
    assert decide(strong)[0] is True
    found, confidence = decide(Features(dense=0.9, lexical=1.0, not_given=("a sentence or penalty",)))
    assert found is False and confidence < 0.5
    assert reason(Features(0.9, 1.0, not_given=("a date",))) == "The closest passage does not give a date."
    assert reason(Features(0.9, 1.0, unknown=("Wales",))) == "The documents never mention Wales."


def test_a_checked_claim_needs_more_than_a_question():
    t = THRESHOLDS
    between = Features(dense=(t.dense_min + t.says_min) / 2, lexical=1.0)
    assert decide(between)[0] is True                 # close enough to answer a question about it
    assert decide(between, claim=True)[0] is False    # not close enough to say a passage says it
    assert decide(Features(dense=t.says_min + 0.01, lexical=1.0), claim=True)[0] is True


# --- on the report, with the real model --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("question, missing", [
    ("What does a serious case review typically cost the Local Safeguarding Children Board?", "an amount of money"),
    ("What prison sentence was the father who caused the house fire given?", "a sentence or penalty"),
    ("Which local authority area was the young Polish man living in?", "the name of a place"),
])
def test_the_right_case_without_the_fact_asked_for_is_not_an_answer(real_searcher, question, missing):
    answer = real_searcher.search(question).to_json()["answer"]
    assert answer["found"] is False
    assert answer["not_given"] == [missing] and missing in answer["reason"]


@pytest.mark.slow
@pytest.mark.parametrize("question, paragraph, fact", [
    ("How old was the young Polish man abandoned by his father?", "78", "17"),
    ("how many months pregnant was the mother when her pre-birth assessment began", "13", "seventh month"),
    ("What grade did York's serious case review receive?", None, "Inadequate"),
])
def test_a_passage_with_the_fact_asked_for_is_still_an_answer(real_searcher, question, paragraph, fact):
    out = real_searcher.search(question).to_json()
    top = out["results"][0]
    assert out["answer"]["found"] is True and "not_given" not in out["answer"] and "reason" not in out["answer"]
    assert fact in top["text"] and (paragraph is None or top["paragraph"] == paragraph)


@pytest.mark.parametrize("question, kinds", [
    ("What should school staff do if a pupil mentions a suicide pact?", {"action"}),
    ("Why was the diagnosis missed?", {"reason"}),
    ("How long did the assessment take?", {"duration"}),
    ("The staff should have acted.", set()),                         # a statement has no cue
])
def test_the_shape_of_an_answer_chooses_the_sentence_to_highlight(question, kinds):
    from search.answer_types import OPEN, cues
    assert {t.name for t in cues(question)} == kinds
    assert not set(t.name for t in OPEN) & {t.name for t in asked(question)}   # open cues never abstain


@pytest.mark.slow
def test_the_highlight_is_the_sentence_that_gives_what_is_asked(real_searcher):
    from search.answer_types import OPEN, gives
    action = next(t for t in OPEN if t.name == "action")
    for question in ("What should a GP do when a baby has missed its immunisations?",
                     "What should Local Safeguarding Children Boards do about young people who self-harm?",
                     "What should practitioners do when a mother hides her pregnancy?"):
        top = real_searcher.search(question, k=1).results[0]
        passage = next(p for p in real_searcher.passages if p.passage_id == top.passage_id)
        said = [s for s in passage.sentences if gives(action, s.text)]
        assert 0 < len(said) < len(passage.sentences)                      # a choice to make
        assert top.highlights[0].text in [s.text for s in said], (question, top.highlights[0].text)


def test_what_an_inspection_says_needs_to_improve_is_a_recommendation():
    assert directive("· The quality of assessments and plans for disabled children.", ["What needs to improve?"])
    assert directive("Ensure that plans are reviewed.", [])
    assert not directive("· The quality of assessments is good.", ["Summary"])
    # a numbered paragraph under that heading is a finding whose own heading the PDF lost
    assert not directive("1. Children who need support are identified.", ["What needs to improve?"])


def test_a_question_may_ask_for_a_council_other_than_the_one_inspected():
    assert asks_another_council("Which neighbouring council runs the out-of-hours service?")
    assert asks_another_council("Which other local authorities share the adoption agency?")
    assert not asks_another_council("Which council runs the out-of-hours service?")
