"""PDFs as paged documents, on real files from the shared library (skipped where it is absent)."""
import hashlib
import re
import struct
from pathlib import Path

import pytest

from ingest.parse import parse_paged
from ingest.passage import Document
from ingest.pdf import Extracted, PagedDocumentError, extract_docx, extract_pdf
from ingest.reader import DocumentError

LIBRARY = Path(__file__).resolve().parent.parent.parent / "shared" / "library"
pytestmark = pytest.mark.skipif(not LIBRARY.is_dir(), reason="../shared/library is absent")

COVID = "edge/printed-page-labels-covid-inquiry-m2-vol2.pdf"
YORK = "ilacs/york-2025-04-15.pdf"               # newer inspection: running header with the page number glued on
BARNET = "ilacs/barnet-2019-07-01.pdf"           # bare page-number lines, U+0002 hyphens, ◼ bullets
NORTH_SOMERSET = "ilacs/north-somerset-2017-08-25.pdf"   # "42,6163": 42,616 + footnote 3
BEXLEY = "ilacs/bexley-2018-08-20.pdf"           # "10.Multi-agency partners…" glued paragraph number
BARKING = "ilacs/barking-and-dagenham-2014-07-07.pdf"   # older framework: contents page, footnotes
HARTLEPOOL = "ilacs/hartlepool-2014-02-11.pdf"   # older framework: judgements given as headings
DURHAM = "ilacs/durham-2025-05-13.pdf"           # "What needs to improve?" with its footnote's number below it
HEALTH = "guidance/promoting-health-of-looked-after-children-2022.pdf"   # an annex's title atop a page


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


_CACHE: dict[str, tuple[Extracted, list]] = {}


def load(relative: str):
    if relative not in _CACHE:
        extracted = extract_pdf(LIBRARY / relative)
        doc = Document(id=Path(relative).stem, title="t", short_title="t", publisher="p", year=2000,
                       file=relative, licence="OGL")
        _CACHE[relative] = extracted, parse_paged(doc, extracted, f"library/{relative}")
    return _CACHE[relative]


@pytest.mark.parametrize("relative", [YORK, BARNET, NORTH_SOMERSET, BEXLEY, BARKING, COVID])
def test_offsets_pages_and_ids(relative):
    from ingest.blocks import mask_artefacts
    extracted, passages = load(relative)
    masked = mask_artefacts(extracted.text)
    assert passages and extracted.pages == len(extracted.page_starts) == len(extracted.page_labels)
    assert extracted.page_starts == sorted(extracted.page_starts)
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    for p in passages:
        assert p.passage_id.startswith(f"{Path(relative).stem}/")
        span = masked[p.start_char:p.end_char]
        assert words(span) == words(p.text), p.passage_id
        assert p.page == p.pages[0] and p.pages == sorted(p.pages) and 1 <= p.page <= extracted.pages
        assert p.page_label == extracted.page_labels[p.page - 1]
        for s in p.sentences:
            assert p.start_char <= s.start_char < s.end_char <= p.end_char
    for ch in ("\x02", "\ufffe", "\r", "\x01", "\x03", "\x04", "\uf06e", "\uf0b7", "◼"):
        assert ch not in extracted.text


def test_pdf_page_labels_roman_front_matter():
    extracted, passages = load(COVID)
    assert extracted.pages == 336
    assert extracted.page_labels[5] == "iv" and extracted.page_labels[10] == "1"
    assert extracted.page_labels[41] == "32"
    p = next(p for p in passages if p.paragraph == "9.117")
    assert p.page == 42 and p.page_label == "32" and p.text.startswith("9.117. On balance, the consensus")
    # the printed number and running heads are not text
    assert not any(p.text.startswith("Modules 2, 2A, 2B, 2C: Core decision-making") for p in passages if p.page > 11)


def test_printed_page_numbers_glued_to_the_header_date():
    extracted, passages = load(YORK)
    assert extracted.page_labels == [str(n) for n in range(1, extracted.pages + 1)]
    assert extracted.metadata.get("created", "").startswith("2025-04-09")
    header = "Inspection of City of York local authority children’s services"
    assert header not in extracted.text
    assert not re.search(r"24 February 2025 to 7 March 2025 \d", extracted.text)
    assert not any(header in p.text for p in passages)
    assert passages[0].kind == "title" and passages[0].text.startswith("Inspection of City of York Council")


def test_a_paragraph_continued_across_a_page_break_is_one_passage():
    extracted, passages = load(YORK)
    p17 = next(p for p in passages if p.paragraph == "17")
    assert p17.pages == [4, 5] and p17.page_label == "4" and p17.label == "para 17"
    assert "Senior leaders have worked closely with housing partners" in p17.text
    assert p17.text.startswith("17. Children aged 16 and 17 years old")
    numbers = [p.paragraph for p in passages if p.paragraph]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) > 60


def test_a_heading_that_asks_a_question_is_a_heading():
    """Durham 2025: the summary's last line is a full one, then "What needs to improve?", its footnote's
    number on a line of its own, and the list of what to improve, which is not part of the summary."""
    _, passages = load(DURHAM)
    heading = next(p for p in passages if p.text == "What needs to improve?")
    assert heading.kind == "heading" and heading.page == 2
    listed = next(p for p in passages if "young carers in child-in-need" in p.text)
    assert listed.section == ["What needs to improve?"] and listed.kind == "list"
    assert listed.text.startswith("· Contingency planning")                 # the footnote's number is not text
    summary = next(p for p in passages if p.text.startswith("Durham is a learning organisation"))
    assert summary.text.endswith("make a positive impact on children’s lives.")
    # the heading cites the footnote, which is not run into the paragraph at the foot of the page
    note = next(p for p in passages if p.kind == "footnote" and "cross-referenced" in p.text)
    assert heading.footnotes == [note.passage_id]
    p6 = next(p for p in passages if p.paragraph == "6")
    assert "cross-referenced" not in p6.text and "between out-of-hours and daytime services" in p6.text


def test_an_annex_that_opens_a_page_is_a_heading_not_the_end_of_the_last_pages_list():
    """The health guidance: page 33's list ends a sentence, page 34 opens "Annex B: Strengths and
    Difficulties Questionnaire" with "(SDQ)" wrapped onto the next line. The annex was run into the
    list, and the SDQ's paragraphs were cited under the previous heading, "Ages 5-10"."""
    _, passages = load(HEALTH)
    annex = next(p for p in passages if p.text.startswith("Annex B"))
    assert annex.kind == "heading" and annex.text == "Annex B: Strengths and Difficulties Questionnaire (SDQ)"
    assert annex.page == 34
    listed = next(p for p in passages if "sexually harmful behaviour" in p.text and p.page == 33)
    assert "Annex" not in listed.text
    scores = next(p for p in passages if "borderline score of 14-16" in p.text)
    assert scores.section == [annex.text]
    stage = next(p for p in passages if p.text == "Adolescents and those leaving care (11-18)")   # ages in brackets
    assert stage.kind == "heading"


def test_a_heading_that_states_a_judgement_is_returned_as_an_answer():
    """Hartlepool 2014 gives its board's judgement only as a heading; headings that name a section, or
    ask what needs to improve, stay in the reader."""
    from index.units import retrieved
    _, passages = load(HARTLEPOOL)
    headings = {p.text: p for p in passages if p.kind == "heading"}
    lscb = "The judgement for the effectiveness of the Local Safeguarding Children Board (LSCB) is requires improvement"
    assert retrieved(headings[lscb]) and retrieved(headings["This Local Authority is good because"])
    assert not retrieved(headings["Summary of key findings"])
    assert not any(retrieved(p) for t, p in headings.items() if t.endswith("?"))


def test_a_table_of_contents_is_not_returned_as_an_answer():
    from index.units import retrieved
    _, passages = load(BARKING)
    contents = [p for p in passages if p.section == ["Contents"] and p.kind == "list"]
    assert contents and "Summary of key findings 3" in contents[0].text
    assert not any(retrieved(p) for p in contents)
    assert all(retrieved(p) for p in passages if p.kind in ("paragraph", "list") and p.section != ["Contents"])


def test_a_reports_last_paragraph_does_not_run_on_into_the_publishers_notice_overleaf():
    """Barnet 2019's para 45 ends at the foot of page 9 with a full line; page 10 is Ofsted's notice."""
    _, passages = load(BARNET)
    last = next(p for p in passages if p.paragraph == "45")
    assert last.pages == [9] and last.text.endswith("relationship-based social work.")
    notice = next(p for p in passages if "Office for Standards in Education" in p.text)
    assert notice.text.startswith("The Office for Standards in Education") and notice.page == 10


def test_a_further_reading_entry_is_told_from_what_the_guidance_says():
    """KCSIE's annex lists other guidance ("Title – DfE and Home Office guidance"): such an entry points at a
    document and says nothing itself; none of its numbered paragraphs, nor any of Barnet's, is one."""
    from ingest.layout import is_reference
    _, kcsie = load("guidance/keeping-children-safe-in-education-2025.pdf")
    entry = next(p for p in kcsie if p.text.startswith("Safeguarding children who may have been trafficked"))
    assert is_reference(entry.text)
    assert sum(is_reference(p.text) for p in kcsie) >= 20
    assert not any(is_reference(p.text) for p in kcsie if p.paragraph)
    assert not any(is_reference(p.text) for p in load(BARNET)[1])
    assert not is_reference("Safeguarding - Defined for the purposes of this guidance as:\n· protecting children")


def test_bare_page_number_lines_hyphens_and_bullets():
    extracted, passages = load(BARNET)
    assert extracted.page_labels == [str(n) for n in range(1, 11)]
    assert "multi-agency" in extracted.text and "\x02" not in extracted.text
    assert "well-being" in extracted.text
    assert not any(re.fullmatch(r"\d{1,2}", line.strip()) for line in extracted.text.splitlines())
    improve = next(p for p in passages if p.kind == "list" and "What needs to improve" in " ".join(p.section))
    assert improve.text.count("· ") == 4
    # the judgement table on page 1 reads as lines
    grades = next(p for p in passages if "Overall effectiveness: Good" in p.text)
    assert grades.page == 1
    assert "· The experiences and progress of children in care and care leavers: Good" in grades.text


def test_glued_footnote_number_is_cut_off_the_figure_and_kept_as_a_footnote():
    extracted, passages = load(NORTH_SOMERSET)
    assert "42,6163" not in extracted.text
    assert "Approximately 42,616 children and young people under the age of 18 years" in extracted.text
    citing = next(p for p in passages if "Approximately 42,616 children" in p.text)
    note = next(p for p in passages if p.kind == "footnote" and p.text.startswith("3 Census mid-year estimates 2015"))
    assert note.label == "footnote 3" and note.page == 5
    assert note.passage_id in citing.footnotes and citing.passage_id in note.cited_by
    assert "Approximately 12% of the local authority’s children" in citing.text   # "12%4" -> 12% + footnote 4


def test_footnote_glued_to_a_number_keeps_a_space_before_the_word():
    extracted, passages = load(BARKING)
    assert "Approximately 56,200 children and young people" in extracted.text
    notes = {p.label: p for p in passages if p.kind == "footnote"}
    assert notes["footnote 2"].text == "2 GLA 2013" and notes["footnote 2"].page == 8
    # the contents page is one list, not a run of headings
    contents = [p for p in passages if p.section == ["Contents"] and p.kind == "list"]
    assert len(contents) == 1 and "· Summary of key findings 3" in contents[0].text
    # page 1's numbered judgement lines do not take the ids of the real paragraphs 1-3
    p1 = next(p for p in passages if p.passage_id.endswith("/p1"))
    assert p1.text.startswith("1. Too many children experience the trauma") and p1.page == 3


def test_glued_paragraph_number_is_recognised():
    extracted, passages = load(BEXLEY)
    p10 = next(p for p in passages if p.paragraph == "10")
    assert p10.text.startswith("10. Multi-agency partners are very well engaged") and p10.label == "para 10"
    assert "10.Multi" not in extracted.text


def test_duplicate_is_an_ordinary_pdf():
    dup = LIBRARY / "edge" / "duplicate of an inspection report.pdf"
    original = next(f for f in (LIBRARY / "ilacs").glob("*.pdf")
                    if f.stat().st_size == dup.stat().st_size
                    and hashlib.sha256(f.read_bytes()).digest() == hashlib.sha256(dup.read_bytes()).digest())
    assert extract_pdf(dup).text == extract_pdf(original).text


@pytest.mark.parametrize("name", ["not-a-pdf-birmingham-2012-10-19.pdf", "not-a-pdf-blackpool-2012-07-13.pdf",
                                  "not-a-pdf-bromley-2012-08-17.pdf", "not-a-pdf-rotherham-2012-08-10.pdf"])
def test_html_saved_as_pdf(name):
    with pytest.raises(DocumentError) as e:
        extract_pdf(LIBRARY / "edge" / name)
    assert e.value.status == "not-pdf" and str(e.value).endswith("not a PDF: it is an HTML page")
    assert "\n" not in str(e.value)


def test_scan_without_text_layer():
    with pytest.raises(PagedDocumentError) as e:
        extract_pdf(LIBRARY / "edge" / "scanned-no-text-layer.pdf")
    assert e.value.status == "needs-ocr" and str(e.value).endswith("no text layer: needs OCR (16 pages)")


def test_truncated_empty_and_garbage(tmp_path):
    data = (LIBRARY / YORK).read_bytes()
    cases = {"truncated.pdf": (data[: len(data) // 2], "corrupt"), "empty.pdf": (b"", "empty"),
             "garbage.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 20, "corrupt"),
             "text.pdf": (b"just some words\n", "not-pdf")}
    for name, (content, status) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(PagedDocumentError) as e:
            extract_pdf(tmp_path / name)
        assert e.value.status == status, name
        assert "\n" not in str(e.value) and name in str(e.value)


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user_password: bytes) -> bytes:
    """A one-page PDF under the standard security handler (RC4 40-bit, revision 2)."""
    pad = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
    padded = (user_password + pad)[:32]
    owner = _rc4(hashlib.md5((b"owner" + pad)[:32]).digest()[:5], padded)
    file_id, perms = b"0123456789abcdef", -4
    key = hashlib.md5(padded + owner + struct.pack("<i", perms) + file_id).digest()[:5]
    user = _rc4(key, pad)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
               b"<< /Filter /Standard /V 1 /R 2 /O <" + owner.hex().encode() + b"> /U <" + user.hex().encode()
               + b"> /P " + str(perms).encode() + b" >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<" % (len(objects) + 1) + file_id.hex().encode()
            + b"> <" + file_id.hex().encode() + b">] >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return bytes(out)


def test_encrypted_pdf_needs_its_password(tmp_path):
    path = tmp_path / "locked.pdf"
    path.write_bytes(_encrypted_pdf(b"secret"))
    with pytest.raises(PagedDocumentError) as e:
        extract_pdf(path)
    assert e.value.status == "encrypted" and "password" in str(e.value)


def test_size_limit(tmp_path, monkeypatch):
    import ingest.pdf as pdf
    monkeypatch.setattr(pdf, "MAX_PDF_BYTES", 1000)
    with pytest.raises(PagedDocumentError) as e:
        extract_pdf(LIBRARY / YORK)
    assert e.value.status == "too-large"


def test_word_documents(tmp_path):
    import docx
    d = docx.Document()
    d.add_heading("Annual report", 0)
    d.add_paragraph("First paragraph about a multi-agency visit. It went well.")
    d.add_heading("Findings", 1)
    d.add_paragraph("An item", style="List Bullet")
    d.add_paragraph("another item", style="List Bullet")
    d.add_page_break()
    d.add_paragraph("Closing remarks on page two.")
    d.save(tmp_path / "r.docx")
    extracted = extract_docx(tmp_path / "r.docx")
    doc = Document(id="r", title="r", short_title="r", publisher="p", year=2024, file="r.docx", licence="x")
    passages = parse_paged(doc, extracted, "r.docx")
    assert [p.kind for p in passages] == ["title", "paragraph", "heading", "list", "paragraph"]
    assert passages[-1].pages == [2] and passages[1].pages == [1]
    (tmp_path / "bad.docx").write_bytes(b"<html><body>nope</body></html>")
    with pytest.raises(PagedDocumentError) as e:
        extract_docx(tmp_path / "bad.docx")
    assert e.value.status == "not-docx"


def test_pdf_module_imports_nothing_heavy():
    import subprocess
    import sys
    code = ("import sys, ingest.pdf, ingest.parse; "
            "heavy = sorted(m for m in ('torch', 'faiss', 'gradio', 'sentence_transformers') if m in sys.modules); "
            "sys.exit(1 if heavy else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent).returncode == 0
