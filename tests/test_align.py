"""index.align on the real text of Ofsted's "Ages of concern" (corpus/ages-of-concern.txt)."""
import json
from pathlib import Path

import pytest

from check.align import align, compare_figures, extract_numbers, find_verbatim, normalise_with_map

REPORT = (Path(__file__).resolve().parents[1] / "corpus" / "ages-of-concern.txt").read_text(encoding="utf-8")


def kinds(alignment):
    return [(d.op, d.kind, d.query, d.source) for d in alignment.differences]


# --- normalisation and verbatim search --------------------------------------------------------

def test_normalise_maps_every_character_back_to_its_source():
    text = REPORT[:5000]
    norm, offs = normalise_with_map(text)
    assert len(norm) == len(offs) and offs == sorted(offs)
    assert "’" not in norm and "·" not in norm and "  " not in norm and "\n" not in norm
    for c, i in zip(norm, offs):
        assert c == text[i].lower() or text[i] in "’‘“”–—·…" or text[i].isspace()
    assert normalise_with_map("A ‘B’ –\n\n c…") == ("a 'b' - c...", [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 11, 11])


def test_verbatim_ignores_quote_style_case_and_spacing():
    query = "“describing them as ignored, 'invisible' to practitioners or   'THE GHOST in the equation'.”"
    spans = find_verbatim(query, REPORT)
    assert len(spans) == 1
    s, e = spans[0]
    assert REPORT[s:e] == "describing them as ignored, ‘invisible’ to practitioners or ‘the ghost in the equation"


def test_verbatim_finds_every_occurrence_and_ignores_dashes():
    spans = find_verbatim("agencies had focused on the young person's challenging behaviour", REPORT)
    assert len(spans) == 3  # the summary, the key findings on young people, and their section
    assert all(REPORT[s:e] == "agencies had focused on the young person’s challenging behaviour" for s, e in spans)
    spans = find_verbatim("Learning lessons from serious case reviews 2009-2010", REPORT)  # text and footnote
    assert [REPORT[s:e] for s, e in spans] == ["Learning lessons from serious case reviews 2009–2010"] * 2


def test_verbatim_respects_word_boundaries_and_misses():
    spans = find_verbatim("Recognise", REPORT)
    assert spans and all(REPORT[s:e] == "recognise" and not REPORT[e].isalpha() for s, e in spans)
    assert not set(spans) & set(find_verbatim("recognised", REPORT))
    assert find_verbatim("crucial time was lost for both assessing and supporting a young man", REPORT) == []
    assert find_verbatim("' . '", REPORT) == []


# --- near-verbatim alignment ------------------------------------------------------------------

def test_exact_quote_aligns_with_no_differences():
    a = align("The serious case review was initiated after there had been non-accidental injuries to the baby",
              REPORT, min_score=90)
    assert a.score == 100 and a.differences == []
    assert REPORT[a.start_char:a.end_char] == a.text
    assert a.text.startswith("The serious case review was initiated") and a.text.endswith("to the baby")


def test_one_typo_is_a_spelling_difference():
    q = "crucial time was lost for both assessing and supporting a vulnerable young woman in her first pregancy"
    a = align(q, REPORT)
    assert kinds(a) == [("replace", "spelling", "pregancy", "pregnancy")]
    assert a.text == q.replace("pregancy", "pregnancy") and a.score > 95
    d = a.differences[0]
    assert REPORT[d.start_char:d.end_char] == "pregnancy"


def test_us_spellings_are_light_spelling_differences():
    a = align("practitioners had not always recognized the important contribution of their agency", REPORT)
    assert kinds(a) == [("replace", "spelling", "recognized", "recognised")]
    assert a.score > 95
    a = align("His offending behavior indicated that he could be aggressive when he had been drinking", REPORT)
    assert kinds(a) == [("replace", "spelling", "behavior", "behaviour")]
    a = align("education programs need to be provided", REPORT)
    assert kinds(a) == [("replace", "spelling", "programs", "programmes")]
    a = align("agencies worked collaboratively in an organized fashion", REPORT)
    assert kinds(a) == [("replace", "spelling", "organized", "organised")]


def test_hyphenation_is_spelling_and_span_keeps_the_original_words():
    a = align("Adult centered services may not achieve this without additional teenage focused support", REPORT)
    assert a.text == "Adult-centred services may not achieve this without additional teenage-focused support"
    assert [d.kind for d in a.differences] == ["spelling", "spelling"]


def test_dropped_added_and_changed_words():
    a = align("Reviews identified the need for agencies to provide a quick response to any concerns", REPORT)
    assert kinds(a) == [("delete", "word", "", "very")]  # the report says "a very quick response"
    assert a.text.endswith("a very quick response to any concerns")
    a = align("In one serious case review, an infant boy became seriously ill while in the sole care of her father",
              REPORT)
    assert kinds(a) == [("replace", "word", "boy", "girl")]
    a = align("mother suffocated the baby the very next day before the appointment", REPORT)
    assert kinds(a) == [("replace", "word", "very next", "following")]
    assert a.text == "mother suffocated the baby the following day before the appointment"
    assert 70 < a.score < 90


def test_words_added_at_the_edges_do_not_stretch_the_span():
    a = align("Sadly, the practitioners who knew about the mother's condition had decided not to breach", REPORT)
    assert a.text == "The practitioners who knew about the mother’s condition had decided not to breach"
    assert kinds(a) == [("insert", "word", "Sadly", "")]  # the word before is in another sentence
    a = align("the mother suffocated the baby the following day before the appointment had taken place twice",
              REPORT)
    assert a.text.endswith("had taken place") and kinds(a) == [("insert", "word", "twice", "")]


def test_span_is_snapped_to_words_and_sliced_from_the_report():
    a = align("'Both parents need to be supported. The father is as important as the mother.'", REPORT)
    assert a.text == "Both parents need to be supported. The father is as important as the mother"
    assert REPORT[a.start_char:a.end_char] == a.text
    assert a.differences == [] and a.score == 100


@pytest.mark.parametrize("dots", ["...", "…", ". . ."])
def test_elision_spans_the_gap_without_penalty(dots):
    q = f"the review stated: {dots}crucial time was lost {dots} a vulnerable young woman in her first pregnancy"
    a = align(q, REPORT)
    assert a.text.startswith("the review stated: ‘…crucial time was lost")
    assert a.text.endswith("a vulnerable young woman in her first pregnancy")
    assert kinds(a) == [("delete", "elision", "...", "for both assessing and supporting")]
    assert a.score == 100 and len(a.parts) == 3


def test_elision_with_damage_in_the_parts():
    q = "a quick response to any concerns about the baby's welfare ... the fragilty of babies and their rate of development"
    a = align(q, REPORT)
    assert [d.kind for d in a.differences] == ["word", "elision", "spelling"]
    elided = a.differences[1]
    assert REPORT[elided.start_char:elided.end_char] == elided.source
    assert elided.source.startswith("and development. While the speed of response")
    assert a.parts[0][0] == a.start_char and a.parts[-1][1] == a.end_char


def test_a_sentence_the_report_never_wrote():
    q = "The government believes that all children should be given free ice cream on Tuesdays in every school"
    assert align(q, REPORT) is None
    low = align("Social workers visited the family every week and found no cause for concern", REPORT, min_score=0)
    assert low is None or low.score < 30


def test_paraphrase_scores_well_below_near_verbatim():
    near = align("young people were treated as adults rather than being considered as kids", REPORT)
    assert near.score > 85 and kinds(near) == [("replace", "word", "kids", "children")]
    assert near.text.endswith("rather than being considered as children")
    for paraphrase in ("Young people over 14 were often treated as adults rather than children",
                       "practitioners underestimated how fragile the baby was",
                       "Babies under one year old made up over a third of the children in the reviews"):
        assert align(paraphrase, REPORT, min_score=0).score < 70


def test_align_against_a_passage_uses_passage_offsets():
    start = REPORT.index("Seventy-seven girls")
    passage = REPORT[start:REPORT.index("previous years.", start) + len("previous years.")]
    a = align("77 girls and 73 boys were the subjects of the serious case reviews", passage)
    assert a.start_char == 0 and a.text.startswith("Seventy-seven girls")
    assert kinds(a) == [("replace", "spelling", "77", "Seventy-seven")]  # same figure, other form


# --- numbers and figures ----------------------------------------------------------------------

def test_extract_numbers_reads_words_digits_percentages_and_dates():
    got = {(n.text, n.kind): n.value for n in extract_numbers(REPORT)}
    assert got[("Seventy-seven", "count")] == 77
    assert got[("Fifty-one", "count")] == 51
    assert got[("35%", "percent")] == 35
    assert got[("12/08/2010", "date")] == "2010-08-12"
    assert got[("1 April 2007", "date")] == "2007-04-01"
    assert got[("2009–2010", "year-range")] == "2009-2010"
    assert got[("2011", "year")] == 2011
    assert got[("one third", "fraction")] == pytest.approx(1 / 3, abs=1e-3)
    for n in extract_numbers(REPORT):
        assert REPORT[n.start_char:n.end_char] == n.text


def test_extract_numbers_small_cases():
    vals = [(n.value, n.kind) for n in extract_numbers(
        "two thousand three hundred and five, 1,234 cases, five per cent, 2010-11, 21st, a third of them")]
    assert vals == [(2305, "count"), (1234, "count"), (5, "percent"), ("2010-2011", "year-range"),
                    (pytest.approx(1 / 3, abs=1e-3), "fraction")]


def test_number_words_equal_digits():
    assert compare_figures("77 girls and 73 boys", REPORT) == []
    assert compare_figures("Seventy-seven girls and seventy-three boys", REPORT) == []
    assert compare_figures("Of the 150 children, sixty-nine children died", REPORT) == []
    assert compare_figures("A high proportion of the 602 children (35 per cent) were babies", REPORT) == []
    (f,) = compare_figures("A high proportion of the 602 children (35 children) were babies", REPORT)
    assert (f.query_value, f.query_kind, f.source, f.source_kind) == (35, "count", "35%", "percent")


def test_different_figures_are_reported_with_both_values():
    (f,) = compare_figures("70 girls and 73 boys were the subjects of the serious case reviews", REPORT)
    assert (f.query, f.source, f.query_value, f.source_value) == ("70", "Seventy-seven", 70, 77)
    assert REPORT[f.start_char:f.end_char] == "Seventy-seven"
    (f,) = compare_figures("seventy girls and 73 boys", REPORT)
    assert f.to_dict() | {"start_char": 0, "end_char": 0} == {
        "query": "seventy", "source": "Seventy-seven", "query_value": 70, "source_value": 77,
        "query_kind": "count", "source_kind": "count", "start_char": 0, "end_char": 0}
    figs = compare_figures("A high proportion of the 620 children (35%) were babies less than one year old", REPORT)
    assert [(f.query_value, f.source_value) for f in figs] == [(620, 602)]


def test_figure_differences_in_a_passage_and_in_dates():
    start = REPORT.index("Ofsted evaluated 117 serious case reviews")
    passage = REPORT[start:start + 300]
    figs = compare_figures("Ofsted evaluated 171 serious case reviews between 1 April 2009 and 31 March 2011", passage)
    assert [(f.query, f.source, f.source_kind) for f in figs] == [
        ("171", "117", "count"), ("1 April 2009", "1 April 2010", "date")]
    a = align("Ofsted evaluated 171 serious case reviews", passage)
    assert a.differences[0].kind == "number" and a.differences[0].source_value == 117


def test_everything_serialises():
    a = align("the review stated: ...crucial time was lost ... in her first pregancy", REPORT)
    json.dumps(a.to_dict())
    json.dumps([n.to_dict() for n in extract_numbers(REPORT[:3000])])
    json.dumps([f.to_dict() for f in compare_figures("70 girls and 73 boys", REPORT)])
