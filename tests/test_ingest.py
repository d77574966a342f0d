"""The report's structure, rebuilt from the Word export, on the real file."""
import hashlib
import re
import shutil

import pytest

from ingest.blocks import mask_artefacts
from ingest.catalog import load_catalog
from ingest.passage import Passage
from ingest.pipeline import ingest_corpus
from tests.conftest import CORPUS, REPORT

DOC = "ages-of-concern"


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_corpus_is_a_byte_for_byte_copy():
    digest = hashlib.sha256(REPORT.read_bytes()).hexdigest()
    assert digest == "94ccc8f24cfc6eff7c76514bee9582e1f15a82a8ec72e3393bdea1e94a6daf08"


def test_catalogue_entry():
    (doc,) = load_catalog(CORPUS)
    assert (doc.id, doc.publisher, doc.year) == (DOC, "Ofsted", 2011)
    assert "Open Government Licence" in doc.licence


def test_81_numbered_paragraphs_in_order(passages):
    numbers = [p.paragraph for p in passages if p.paragraph]
    assert numbers == [str(n) for n in range(1, 82)]
    assert all(p.passage_id == f"{DOC}/p{p.paragraph}" and p.label == f"para {p.paragraph}"
               for p in passages if p.paragraph)


def test_paragraph_2_is_joined_across_its_footnote_with_six_bullets(by_id):
    p = by_id[f"{DOC}/p2"]
    assert "Learning lessons from serious case reviews 2009–2010, emphasised the importance of:" in p.text
    assert p.text.count("\n· ") == 6
    assert p.text.endswith("· valuing challenge, supervision and scrutiny.")
    assert p.footnotes == [f"{DOC}/footnote-6"]


@pytest.mark.parametrize("pid", [f"{DOC}/key-findings/1", f"{DOC}/p7"])
def test_seven_item_lists_keep_their_unmarked_last_item(by_id, pid):
    p = by_id[pid]
    items = [line for line in p.text.splitlines() if line.startswith("· ")]
    assert len(items) == 7
    assert items[-1] == "· practitioners underestimated the fragility of the baby."


def test_section_paths(by_id):
    assert by_id[f"{DOC}/p40"].section == ["Babies less than one year old", "The contribution of health agencies"]
    assert by_id[f"{DOC}/p17"].kind == "practice-implications"
    assert by_id[f"{DOC}/p17"].section[-1] == "Practice implications"
    case = by_id[f"{DOC}/case-study/a-suicide-pact"]
    assert case.kind == "case-study" and case.section[-2:] == ["Case studies", "A suicide pact"]
    assert "Lesson learnt:" in case.text
    assert [by_id[f"{DOC}/{pid}"].part for pid in ("title", "p2", "p40", "p70", "annex-c/york-2010-11-25")] == \
        ["front", "front", "babies", "young-people", "annexes"]


def test_table_1(by_id):
    rows = {label: by_id[f"{DOC}/table-1/{label}"] for label in ("outstanding", "good", "adequate", "inadequate", "total")}
    assert "Good · April 2007 – March 2008 (2007–08): 13; April 2008 – March 2009 (2008–09): 37; " \
           "April 2009 – March 2010 (2009–10): 63; April 2010 – March 2011 (2010–11): 66; Total: 179" in rows["good"].text
    assert rows["total"].text.endswith("Total: 482")
    for p in rows.values():
        numbers = re.findall(r"\d+", REPORT.read_text(encoding="utf-8")[p.start_char:p.end_char])
        assert all(n in p.text for n in numbers)


def test_table_4_counts_sum_to_69(passages):
    rows = [p for p in passages if p.passage_id.startswith(f"{DOC}/table-4/") and not p.passage_id.endswith("total")]
    counts = {p.label: int(p.text.rsplit(": ", 1)[1]) for p in rows}
    assert sum(counts.values()) == 69
    assert counts["Table 4 · Other external cause › Suicide"] == 8
    assert counts["Table 4 · Homicide › Murder by parent or carer"] == 17


def test_annex_c_has_117_rows_agreeing_with_table_1(passages):
    rows = [p for p in passages if p.passage_id.startswith(f"{DOC}/annex-c/")]
    assert len(rows) == 117
    grades = [re.search(r"evaluation: (\w+)", p.text).group(1) for p in rows]
    assert {g: grades.count(g) for g in set(grades)} == {"Outstanding": 5, "Good": 66, "Adequate": 40, "Inadequate": 6}
    york = next(p for p in rows if "Board: York" in p.text)
    assert "Inadequate" in york.text and "25/11/2010 (25 November 2010)" in york.text


def test_tables_carry_their_id_caption_and_row_labels_as_fields(passages, by_id):
    table = by_id[f"{DOC}/annex-c"]
    assert (table.table_id, table.caption) == (f"{DOC}/annex-c", "Annex C: The 117 serious case reviews")
    assert table.columns == ["Local Safeguarding Children Board", "Serious case review evaluation",
                             "Date of evaluation letter"]
    york = by_id[f"{DOC}/annex-c/york-2010-11-25"]
    assert (york.table_id, york.caption, york.row_label) == (table.passage_id, table.caption, "York")
    assert york.label == "Annex C · York" and york.text.startswith(f"{table.caption} · ")
    older = {k: v for k, v in york.to_dict().items() if k not in ("table_id", "caption", "row_label", "columns")}
    assert Passage.from_dict(older).row_label is None          # an index written before these fields loads
    assert Passage.from_dict(york.to_dict()) == york
    suicide = by_id[f"{DOC}/table-4/other-external-cause-suicide"]
    assert (suicide.table_id, suicide.row_label) == (f"{DOC}/table-4", "Other external cause › Suicide")
    assert by_id[f"{DOC}/table-1"].columns[-1] == "Total" and by_id[f"{DOC}/table-1/good"].row_label == "Good"
    for p in passages:
        if p.kind == "table-row":
            assert p.table_id in by_id and by_id[p.table_id].kind == "table" and p.caption and p.row_label
            assert p.label == f"{by_id[p.table_id].label} · {p.row_label}"
        elif p.kind != "table":
            assert (p.table_id, p.caption, p.row_label, p.columns) == (None, None, None, None)


def test_footnotes_are_passages_linked_to_their_place(by_id):
    notes = [by_id[f"{DOC}/footnote-{n}"] for n in range(1, 9)]
    assert all(n.kind == "footnote" and n.cited_by for n in notes)
    assert "HYPERLINK" not in notes[0].text and "\ufffd" not in notes[0].text
    assert by_id[notes[0].cited_by[0]].section == ["Background"]


def test_artefacts_are_not_text(passages):
    for p in passages:
        assert "[image:" not in p.text and "\ufffd" not in p.text
        assert not any(line.strip() in {",", ""} for line in p.text.splitlines())


def test_no_text_is_lost_and_spans_do_not_overlap(passages, report_text):
    masked = mask_artefacts(report_text)
    owner = [0] * len(report_text)
    for p in passages:
        for i in range(p.start_char, p.end_char):
            owner[i] += 1
    lost = [i for i, ch in enumerate(masked) if not ch.isspace() and owner[i] != 1]
    assert lost == []


def test_text_is_the_span_cleaned(passages, report_text):
    for p in passages:
        span = mask_artefacts(report_text)[p.start_char:p.end_char]
        if p.kind in ("table", "table-row"):  # rendered with caption and column headings
            assert set(words(span)) <= set(words(p.text))
        else:
            assert words(span) == words(p.text), p.passage_id


def test_sentences_lie_inside_their_passage_and_are_not_broken(passages, report_text):
    for p in passages:
        for s in p.sentences:
            assert p.start_char <= s.start_char < s.end_char <= p.end_char
    p40 = next(p for p in passages if p.paragraph == "40")
    assert p40.sentences[0].text.startswith("40. One of the conclusions")
    assert not any(re.fullmatch(r"\d+\.", s.text) for p in passages for s in p.sentences)


def test_ids_are_unique_and_stable(passages):
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    assert ids == [p.passage_id for p in ingest_corpus(CORPUS).passages]


def test_a_second_document_uses_the_generic_splitter(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "notes.txt").write_text("Field notes\n\nFirst paragraph about a visit. It went well.\n\n"
                                      "1. A numbered point.\n\nClosing remarks here.\n", encoding="utf-8")
    with open(corpus / "catalog.toml", "a", encoding="utf-8") as f:
        f.write('\n[[documents]]\nid = "notes"\ntitle = "Notes"\nshort_title = "Notes"\npublisher = "Me"\n'
                'year = 2024\nfile = "notes.txt"\nlicence = "test"\n')
    notes = [p for p in ingest_corpus(corpus).passages if p.document == "notes"]
    assert [p.kind for p in notes] == ["title", "paragraph", "paragraph", "paragraph"]
    assert notes[2].paragraph == "1" and notes[2].passage_id == "notes/p1"
    assert len(notes[1].sentences) == 2


def test_ingest_imports_no_torch_faiss_or_gradio():
    import subprocess
    import sys
    code = ("import sys, ingest.pipeline, ingest.parse; "
            "heavy = sorted(m for m in ('torch', 'faiss', 'gradio', 'sentence_transformers') if m in sys.modules); "
            "print(heavy); sys.exit(1 if heavy else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=CORPUS.parent)
    assert run.returncode == 0, run.stdout + run.stderr
