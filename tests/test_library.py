"""A library of real PDFs (../shared/library): catalogue facts, refusals, adding and removing
documents, filters, resuming an interrupted ingest. Plumbing only: the fake embedder stands in for
the model (quality is measured by `askreport eval ../shared/eval/library-dev.jsonl`)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

LIBRARY = ROOT.parent / "shared" / "library"
DORSET = LIBRARY / "ilacs" / "dorset-2025-05-09.pdf"
BRISTOL = LIBRARY / "ilacs" / "bristol-2014-12-05.pdf"
CME = LIBRARY / "guidance" / "children-missing-education-2024.pdf"
EDGE = LIBRARY / "edge"

pytestmark = pytest.mark.skipif(not LIBRARY.is_dir(), reason="../shared/library is not beside the repository")


def build(index_dir: Path, *paths: Path, **kw):
    from index.build import build as real_build
    return real_build(None, index_dir, paths=list(paths), progress=False, **kw)


def manifest(index_dir: Path) -> dict:
    from index import store
    return store.load_index(index_dir).manifest


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Dorset's 2025 inspection, a guidance document and every edge file, indexed once."""
    from conftest import FakeEmbedder
    index_dir = tmp_path_factory.mktemp("library") / "index"
    with pytest.MonkeyPatch.context() as mp:
        summary = build(index_dir, DORSET, CME, EDGE) if FakeEmbedder().install(mp) else None
    return index_dir, summary


@pytest.fixture
def library(built, tmp_path, fake_embedder):
    """A copy of the built library for one test to change."""
    index_dir = tmp_path / "index"
    shutil.copytree(built[0], index_dir)
    return index_dir, built[1], fake_embedder


def test_each_bad_file_is_refused_with_its_reason_and_the_rest_is_indexed(library):
    index_dir, summary, _ = library
    m = manifest(index_dir)
    indexed = {d["id"] for d in m["documents"]}
    assert indexed == {"ilacs/dorset-2025-05-09", "guidance/children-missing-education-2024",
                       "edge/printed-page-labels-covid-inquiry-m2-vol2"}
    status = {Path(r["path"]).name: (r["status"], r["reason"]) for r in m["skipped"]}
    for name in ("not-a-pdf-birmingham-2012-10-19.pdf", "not-a-pdf-rotherham-2012-08-10.pdf"):
        assert status[name][0] == "not-pdf" and "not a PDF" in status[name][1]
    assert status["scanned-no-text-layer.pdf"][0] == "needs-ocr" and "OCR" in status["scanned-no-text-layer.pdf"][1]
    dup_status, dup_reason = status["duplicate of an inspection report.pdf"]
    assert dup_status == "duplicate" and "ilacs/dorset-2025-05-09" in dup_reason     # names the copy it duplicates
    assert len(summary.skipped) == 6


def test_catalogue_facts_and_citations(library, fake_embedder):
    index_dir, _, _ = library
    from search.searcher import Searcher
    s = Searcher.open(index_dir)
    dorset = s.documents["ilacs/dorset-2025-05-09"]
    assert dorset.title == "Inspection of Dorset local authority children's services"
    assert (dorset.publisher, dorset.year, dorset.date, dorset.council) == ("Ofsted", 2025, "2025-05-09", "Dorset")
    assert dorset.inspected == "2025-03-17"                     # inspections.csv: inspection_start_date
    assert dorset.grades["overall_effectiveness"] == "outstanding" and dorset.doc_type == "inspection"
    assert dorset.pages == 12
    cme = s.documents["guidance/children-missing-education-2024"]
    assert (cme.publisher, cme.short_title) == ("DfE", "Children missing education")
    out = s.search("Dorset inspection children in care", k=3,
                   filters=__import__("search.documents", fromlist=["Filters"]).Filters(
                       documents=["ilacs/dorset-2025-05-09"]))
    top = out.results[0]
    assert top.page and top.pages and top.page_label
    assert top.citation.startswith("Ofsted (2025) Inspection of Dorset local authority children's services, ")
    assert top.citation.endswith(f", p. {top.page_label}")
    js = out.to_json()
    assert js["documents"]["ilacs/dorset-2025-05-09"]["grades"]["overall_effectiveness"] == "outstanding"
    assert {"page", "pages", "page_label"} <= set(js["results"][0])


def test_adding_one_document_embeds_only_it(library):
    index_dir, _, fake = library
    before = fake.encoded
    summary = build(index_dir, BRISTOL)
    assert summary.added == ["ilacs/bristol-2014-12-05"]
    m = manifest(index_dir)
    from index import store
    loaded = store.load_index(index_dir)
    bristol = sum(1 for u in loaded.units if loaded.passages[u["passage"]].document == "ilacs/bristol-2014-12-05")
    assert fake.encoded - before == bristol == summary.embedded
    assert len(m["documents"]) == 4                         # the others stay


def test_reingesting_the_same_file_embeds_nothing_and_remove_takes_one_out(library):
    index_dir, _, fake = library
    before = fake.encoded
    summary = build(index_dir, CME)
    assert summary.embedded == 0 and fake.encoded == before
    summary = build(index_dir, remove=["guidance/children-missing-education-2024"])
    from index import store
    loaded = store.load_index(index_dir)
    assert "guidance/children-missing-education-2024" not in loaded.documents
    assert not [p for p in loaded.passages if p.document == "guidance/children-missing-education-2024"]
    assert "ilacs/dorset-2025-05-09" in loaded.documents
    from index.build import IngestError
    with pytest.raises(IngestError, match="no document 'nope'"):
        build(index_dir, remove=["nope"])


def test_empty_and_vanishing_files(tmp_path, fake_embedder, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "empty.pdf").write_bytes(b"")
    shutil.copy(BRISTOL, folder / "bristol.pdf")
    shutil.copy(CME, folder / "gone.pdf")
    import ingest.library
    real = ingest.library.parse_file

    def vanish(found):
        if found.path.name == "gone.pdf":
            found.path.unlink()
        return real(found)
    monkeypatch.setattr("index.build.parse_file", vanish)
    build(tmp_path / "index", folder)
    m = manifest(tmp_path / "index")
    assert [d["id"] for d in m["documents"]] == ["bristol"]
    reasons = {Path(r["path"]).name: r for r in m["skipped"]}
    assert reasons["empty.pdf"]["status"] == "empty"
    assert reasons["gone.pdf"]["status"] in ("missing", "unreadable", "corrupt")


def test_filters_give_what_filtering_afterwards_gives(library, fake_embedder):
    index_dir, _, _ = library
    from search.documents import Filters
    from search.searcher import Searcher
    s = Searcher.open(index_dir)
    query = "children missing from education and their safety"
    everything = s.search(query, k=500).results
    for f, keep in ((Filters(documents=["ilacs/dorset-2025-05-09"]), lambda h: h.document == "ilacs/dorset-2025-05-09"),
                    (Filters(documents=["guidance/"]), lambda h: h.document.startswith("guidance/")),
                    (Filters(publisher="dfe"), lambda h: s.documents[h.document].publisher == "DfE"),
                    (Filters(year_from=2025, year_to=2025), lambda h: s.documents[h.document].year == 2025),
                    (Filters(grade="outstanding"), lambda h: h.document == "ilacs/dorset-2025-05-09")):
        filtered = [h.passage_id for h in s.search(query, k=10, filters=f).results]
        after = [h.passage_id for h in everything if keep(h)][:10]
        assert filtered == after and filtered, f


def test_grouped_results_are_one_per_document_with_counts(library, fake_embedder):
    index_dir, _, _ = library
    from search.searcher import Searcher
    out = Searcher.open(index_dir).search("children in care", k=5, group=True)
    docs = [h.document for h in out.results]
    assert len(docs) == len(set(docs)) == len(out.groups)
    assert all(g.passages >= 1 and g.document == h.document for g, h in zip(out.groups, out.results))


def test_an_interrupted_ingest_resumes_where_it_stopped(tmp_path, fake_embedder, monkeypatch):
    import index.build
    monkeypatch.setattr(index.build, "EMBED_CHUNK", 50)
    calls = {"n": 0}
    real = fake_embedder.encode_passages

    def dies_on_third_chunk(model, texts, show_progress=False):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(model, texts)
    monkeypatch.setattr(index.build, "encode_passages", dies_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path / "index", BRISTOL)
    from index import store
    assert not store.exists(tmp_path / "index")             # nothing half-written is served
    monkeypatch.setattr(index.build, "encode_passages", real)
    before = fake_embedder.encoded
    summary = build(tmp_path / "index", BRISTOL)
    assert summary.embedded <= summary.units - 100             # the two chunks done before were kept
    assert fake_embedder.encoded - before == summary.embedded
    assert not (tmp_path / "index" / "embedding-cache").exists()


def test_documents_command_lists_indexed_and_refused(library, capsys):
    index_dir, _, _ = library
    import cli
    assert cli.main(["--index-dir", str(index_dir), "documents", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["status"] for r in rows} >= {"indexed", "not-pdf", "needs-ocr", "duplicate"}
    assert any(r.get("id") == "ilacs/dorset-2025-05-09" and r["pages"] == 12 for r in rows)


def _doc(id_, **facts) -> "Document":
    from ingest.passage import Document
    return Document(id=id_, title=facts.pop("title", id_), short_title=facts.pop("short_title", id_),
                    publisher=facts.pop("publisher"), year=facts.pop("year"), file=f"{id_}.pdf",
                    licence="Open Government Licence v3.0", **facts)


def _inspection(id_, council: str, year: int, **facts) -> "Document":
    return _doc(id_, council=council, year=year, doc_type="inspection", publisher="Ofsted", **facts)


def _index(*documents):
    """A DocumentIndex of these documents, each with one passage."""
    from ingest.passage import Passage
    from search.documents import DocumentIndex
    docs = {d.id: d for d in documents}
    return DocumentIndex(docs, [Passage(f"{d}-1", d, "paragraph", None, [], "Text.", 0, 5, d) for d in docs])


def _named_index():
    """Three inspections and a guidance document, each with one passage on its first page."""
    from ingest.passage import Passage
    from search.documents import DocumentIndex
    docs = {d.id: d for d in (
        _inspection("ilacs/bcp-2022", "Bournemouth, Christchurch and Poole", 2022,
                    title="Inspection of Bournemouth, Christchurch and Poole"),
        _inspection("ilacs/london-corporation-2016", "London Corporation", 2016, title="Inspection of London Corporation"),
        _inspection("ilacs/bath-2017", "Bath and North East Somerset", 2017,
                    title="Inspection of Bath and North East Somerset"),
        _doc("guidance/kcsie-2025", year=2025, doc_type="guidance", publisher="DfE",
             title="Keeping children safe in education 2025", short_title="Keeping children safe in education"))}
    heads = {"ilacs/london-corporation-2016": "Children's services in the City of London are good."}
    passages = [Passage(f"{d}-1", d, "paragraph", None, [], heads.get(d, "Services for children."), 0, 10, d)
                for d in docs]
    return DocumentIndex(docs, passages)


def test_a_council_is_named_by_one_of_the_places_its_name_joins():
    index = _named_index()
    assert [index.ids[n] for n in index.hits("What did Poole's 2022 inspection find?")] == ["ilacs/bcp-2022"]
    assert index.hits("a baby drowned in the bath") == []                 # a place is written capitalised
    assert index.missing("What did Ofsted find in Poole's 2018 inspection?") == \
        "an inspection of Bournemouth, Christchurch and Poole from 2018"
    assert index.missing("Since the last inspection in 2018, services in Poole have improved") is None
    assert index.missing("Poole's services had declined since 2018") is None
    assert "poole" not in index.without_names("What did Poole's 2022 inspection say about care leavers?").lower()
    rest = index.without_names("What had the City of London done since 2012, according to its 2016 inspection?")
    assert "2012" in rest and "2016" not in rest and "London" not in rest    # a year it asks about stays


def test_a_council_is_named_by_another_name_and_an_inspection_by_the_year_it_took_place():
    """ingest/councils.toml: "Hull" is Kingston upon Hull; "its November 2024 inspection" is the report
    Ofsted published in January 2025; a joining word a catalogue capitalises still joins."""
    index = _index(
        _inspection("ilacs/hull-2026", "Kingston Upon Hull", 2026, date="2026-05-18", inspected="2026-03-02"),
        _inspection("ilacs/hull-2015", "Kingston Upon Hull", 2015),
        _inspection("ilacs/westminster-2025", "Westminster", 2025, date="2025-01-13", inspected="2024-11-11"),
        _inspection("ilacs/westminster-2019", "Westminster", 2019),
        _inspection("ilacs/blackburn-2022", "Blackburn With Darwen", 2022))

    def chosen(query):
        return [index.ids[n] for n in index.chosen(query)[0]]
    assert chosen("Which adoption agency is Hull council partnered with, according to its 2026 inspection?") == \
        ["ilacs/hull-2026"]
    assert chosen("Westminster was rated outstanding after its November 2024 inspection") == ["ilacs/westminster-2025"]
    assert chosen("Westminster's 2025 inspection") == ["ilacs/westminster-2025"]
    assert chosen("What did Blackburn's 2022 inspection say?") == ["ilacs/blackburn-2022"]
    assert chosen("the hull of the boat") == []                         # another name is written capitalised


def test_a_document_referred_to_by_a_name_no_document_goes_by_is_missing():
    index = _named_index()
    assert index.missing("In Cumbria's 2019 inspection, what was said about care leavers?") == \
        "an inspection of Cumbria from 2019"
    assert index.missing("What did the inspection of Cumbria say?") == "an inspection of Cumbria"
    # a name the document itself uses on its first page, and the publisher, are not unknown
    assert index.missing("The City of London's 2016 inspection praised its research.") is None
    assert index.missing("What did Ofsted's 2016 inspection say about neglect?") is None
    assert index.missing("What does the guidance say about vaping?") is None


def test_of_two_councils_named_the_query_picks_the_one_whose_inspection_it_asks_about():
    index = _index(
        _inspection("ilacs/cambridgeshire-2024", "Cambridgeshire", 2024),
        _inspection("ilacs/peterborough-2024", "Peterborough", 2024),
        _inspection("ilacs/peterborough-2018", "Peterborough", 2018))
    query = "What effect did separating from Peterborough have on Cambridgeshire's services in the 2024 inspection?"
    assert [index.ids[n] for n in index.chosen(query)[0]] == ["ilacs/cambridgeshire-2024"]
    assert "Peterborough" in index.without_names(query) and "Cambridgeshire" not in index.without_names(query)
    assert index.named(query).tolist() == [1.0, 0.0, 0.0]
    assert [index.ids[n] for n in index.chosen("Peterborough's 2018 inspection")[0]] == ["ilacs/peterborough-2018"]
    assert index.named("Peterborough's 2019 inspection").tolist() == [0.0, 0.5, 0.5]      # the name, not the year


def test_of_two_years_the_query_picks_the_one_it_gives_as_its_inspections():
    index = _index(
        _inspection("ilacs/cornwall-2016", "Cornwall", 2016),
        _inspection("ilacs/cornwall-2024", "Cornwall", 2024))

    def chosen(query):
        return [index.ids[n] for n in index.chosen(query)[0]]
    assert chosen("Cornwall was judged good in 2016. What did Ofsted's mid-2024 inspection say about care leavers?") \
        == ["ilacs/cornwall-2024"]
    assert chosen("Cornwall had improved since the last inspection in 2016, according to the 2024 report") \
        == ["ilacs/cornwall-2024"]
    assert chosen("How did care leavers' housing in Cornwall change between its 2016 and 2024 inspections?") \
        == ["ilacs/cornwall-2016", "ilacs/cornwall-2024"]
    assert chosen("How did Cornwall's services change from 2016 to 2024?") == ["ilacs/cornwall-2016", "ilacs/cornwall-2024"]
    assert chosen("In the 2023/24 Ofsted inspection of Cornwall, how many care leavers were in work?") \
        == ["ilacs/cornwall-2024"]                                          # a financial or school year
    assert index.missing("In the 2023/24 Ofsted inspection of Cornwall, how many care leavers were in work?") is None
    assert index.missing("In the 2020/21 Ofsted inspection of Cornwall, how many care leavers were in work?") \
        == "an inspection of Cornwall from 2020 or 2021"


def test_a_council_the_query_sets_aside_is_ranked_down_not_picked():
    index = _index(
        _inspection("ilacs/rotherham-2014", "Rotherham", 2014),
        _inspection("ilacs/sheffield-2015", "Sheffield", 2015))
    query = "Apart from Rotherham itself, which councils reviewed their work after the inquiry in Rotherham?"
    assert index.chosen(query)[0] == [] and index.named(query).tolist() == [-1.0, 0.0]
    assert "Rotherham" in index.without_names(query)          # still words that rank passages
    assert index.named("Which councils other than Rotherham mention the Jay report?").tolist() == [-1.0, 0.0]
    assert index.named("What did Rotherham's 2014 inspection find?").tolist() == [1.0, 0.0]


def test_a_question_of_what_should_be_done_leans_to_guidance_when_it_names_no_document():
    from search.documents import RULE_LEAN
    index = _named_index()
    kcsie = index.ids.index("guidance/kcsie-2025")
    lean = index.named("How often should a school review its filtering?")
    assert lean[kcsie] == RULE_LEAN and lean.sum() == RULE_LEAN           # the guidance, nothing else
    assert not index.named("How often did the school review its filtering?").any()   # what was done
    assert not index.named("staff should maintain an attitude of it could happen here").any()   # a quote
    assert not index.named("Which councils were told they should improve pathway plans?").any()   # inspections
    assert index.named("What should Poole's 2022 inspection have found?").tolist() == [1.0, 0.0, 0.0, 0.0]


def test_a_guidance_document_is_named_by_a_word_for_it_and_the_words_only_its_title_has():
    index = _index(
        _doc("guidance/health", year=2022, doc_type="guidance", publisher="DfE",
             title="Promoting the health and well-being of looked-after children"),
        _doc("guidance/teacher", year=2018, doc_type="guidance", publisher="DfE",
             title="The designated teacher for looked-after and previously looked-after children"),
        _inspection("ilacs/kent-2013", "Kent", 2013),
        _doc("ages-of-concern", year=2011, publisher="Ofsted",
             title="Ages of concern: learning lessons from serious case reviews"))
    named = lambda q: [index.ids[n] for n in index.hits(q)]
    assert named("How often should a child see the dentist under the statutory guidance on promoting their "
                 "health?") == ["guidance/health"]
    assert named("What does the designated teacher guidance say about looked-after children?") == ["guidance/teacher"]
    assert named("How can looked-after children's health be promoted?") == []        # no word for a document
    assert named("What does the guidance say about looked-after children?") == []    # words both titles have
    assert named("What does the guidance say about a serious concern in a case?") == []   # a report, not guidance


def test_the_year_that_names_a_document_is_not_a_figure_a_claim_states():
    index = _named_index()
    assert index.without_naming_years("The 2025 Keeping children safe in education says staff train every 3 "
                                      "years, as since 2012.") == \
        "The Keeping children safe in education says staff train every 3 years, as since 2012."
    assert index.without_naming_years("In 2025 staff trained every 3 years.") == "In 2025 staff trained every 3 years."


def test_a_long_pdf_passage_is_embedded_as_windows_of_a_few_sentences(library):
    """Paged documents have no sentence units; a passage over PAGED_WINDOW_TOKENS word pieces (words, with
    the fake embedder) is embedded as windows of whole sentences within that limit, the report as before."""
    import json as _json
    from index.units import PAGED_WINDOW_TOKENS
    index_dir, _, _ = library
    gen = index_dir / "generations" / _json.loads((index_dir / "CURRENT").read_text())["generation"]
    passages = [_json.loads(x) for x in (gen / "passages.jsonl").read_text().splitlines()]
    units = [_json.loads(x) for x in (gen / "units.jsonl").read_text().splitlines()]
    paged = [u for u in units if passages[u["passage"]].get("page") is not None]
    assert paged and not [u for u in paged if u["kind"] == "sentence"]
    windows = [u for u in paged if u["kind"] == "window"]
    assert windows and all(len(u["text"].split()) <= PAGED_WINDOW_TOKENS for u in windows)
    long = {u["passage"] for u in windows}
    assert all(len(passages[i]["text"].split()) > PAGED_WINDOW_TOKENS // 2 for i in long)
    assert max(sum(u["passage"] == i for u in windows) for i in long) >= 3


def test_a_quotation_typed_from_memory_puts_the_passage_it_quotes_first(library):
    """One sentence of a long Dorset paragraph, lower-cased and a word forgotten: its passage comes
    first whatever the dense model makes of it (here the fake embedder's noise), and check looks for
    it in the documents BM25 points at as well as those the ranking does."""
    from check.checker import candidate_documents, lexical_order
    from search.first import QUOTE_TERMS, quoted_first
    from search.searcher import Searcher
    index_dir, _, _ = library
    s = Searcher.open(index_dir)
    i, p = next((i, p) for i, p in enumerate(s.passages) if p.document == "ilacs/dorset-2025-05-09"
                and len(p.sentences) >= 3 and len(set(s.bm25.tokenize([p.sentences[1].text])[0])) >= 2 * QUOTE_TERMS)
    words = p.sentences[1].text.split()
    quote = " ".join(words[:len(words) // 2] + words[len(words) // 2 + 1:]).lower()
    ranking = s.rank(quote)
    assert ranking.order[0] == i
    last = [j for j in ranking.order if j != i] + [i]
    assert quoted_first(s, quote, ranking.scores["bm25"], ranking.allowed, last)[0] == i
    few = " ".join(words[:4])                                  # too few words to be a quotation
    assert quoted_first(s, few, ranking.scores["bm25"], ranking.allowed, last) == last
    pair = next((j, q, n) for j, q in enumerate(s.passages) if q.document == "ilacs/dorset-2025-05-09"
                for n in range(len(q.sentences) - 1) if _run_together(s, q.sentences[n], q.sentences[n + 1]))
    j, q, n = pair                            # two sentences run together: neither alone holds 80% of the words
    two = f"{q.sentences[n].text.rstrip('. ')}, and {q.sentences[n + 1].text}".lower()
    last = [x for x in s.rank(two).order if x != j] + [j]
    assert quoted_first(s, two, s.rank(two).scores["bm25"], s.rank(two).allowed, last)[0] == j
    others = [j for j in ranking.order if s.passages[j].document != p.document]
    assert candidate_documents(s, others, lexical_order(ranking.scores["bm25"], ranking.allowed))[-1] == p.document


def test_a_name_the_top_document_never_mentions_is_not_answered_from_it(library):
    """Another document mentioning a name does not make this one answer for it: the guidance names
    Barnardo's and Reunite, Dorset's inspection neither. Wales is left alone: two of the three
    documents mention it (the guidance, the Covid inquiry), so Dorset's silence on it says less; and
    the council and year that chose Dorset's report are not among the names checked."""
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    query = "What did Dorset's 2025 inspection find about work with Barnardos and Reunite in Wales?"
    ranking = s.rank(query)
    assert s.passages[ranking.order[0]].document == "ilacs/dorset-2025-05-09"
    facts = s.facts(ranking)
    assert facts.unknown == () and facts.unmentioned == ("Barnardos", "Reunite")
    out = s.search(query)
    assert out.answer.found is False
    assert out.answer.reason == "The closest passage's document never mentions Barnardos and Reunite."
    assert s.facts(s.rank("What did Dorset's 2025 inspection find in May?")).unmentioned == ()   # a date


def test_a_question_about_a_topic_no_document_names_is_unanswered_in_a_large_library(library, monkeypatch):
    """"About vaping" in a library none of whose documents says "vaping": only in a library of
    TOPIC_MIN_DOCUMENTS or more, where a word no document uses is rare; a single report lacks many."""
    import search.decision as decision_module
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    query = "What does Dorset's 2025 inspection say about vaping among children in care?"
    assert s.facts(s.rank(query)).unknown == ()                               # three documents: too few
    monkeypatch.setattr(decision_module, "TOPIC_MIN_DOCUMENTS", 2)
    assert s.facts(s.rank(query)).unknown == ("vaping",)
    assert s.search(query).answer.reason == "The documents never mention vaping."
    assert s.facts(s.rank("Dorset's 2025 inspection said little about vaping.")).unknown == ()   # not a question


def _run_together(s, a, b) -> bool:
    from search.first import QUOTE_COVERAGE, QUOTE_TERMS
    ta, tb = s.sentence_terms(a), s.sentence_terms(b)
    both = ta | tb
    return len(both) >= 2 * QUOTE_TERMS and max(len(ta), len(tb)) < QUOTE_COVERAGE * len(both)


def test_a_named_documents_words_are_measured_against_its_own_best_passage(library):
    """"Do the passages shown share the query's words?" asks it of the document the query names: the
    children missing education guidance repeats this question's words more than Dorset's report can."""
    import numpy as np
    from search.decision import THRESHOLDS, lexical_support
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    query = "What did Dorset's 2025 inspection say about removing pupils from the school admission register?"
    ranking = s.rank(query)
    bm25, n = ranking.scores["bm25"], THRESHOLDS.lexical_top
    dorset = np.array([p.document == "ilacs/dorset-2025-05-09" for p in s.passages])
    assert s.passages[int(np.argmax(bm25))].document == "guidance/children-missing-education-2024"
    assert s.facts(ranking).lexical == lexical_support(bm25, ranking.order[:n], s.retrievable & dorset)
    shown = [i for i in ranking.order if dorset[i]][:n]
    assert lexical_support(bm25, shown, s.retrievable & dorset) > lexical_support(bm25, shown, s.retrievable)


def test_a_name_of_several_words_takes_the_passages_that_use_it(library):
    """"Staying Close" is a service; its words alone are in passages about staying close to family."""
    from search.documents import name_phrases
    from search.searcher import Searcher
    assert name_phrases("Which councils have handed services to Achieving for Children's trust?") == \
        ["achieving for children"]
    assert name_phrases("Which councils run Staying Close?") == ["staying close"]
    assert name_phrases("Staying close to family matters.") == []             # a sentence's first words
    s = Searcher.open(library[0])
    query = "Which councils offer Staying Close to young people leaving care?"
    scores = s.score(query)
    named = {i for i, p in enumerate(s.passages) if "staying close" in " ".join(p.text.lower().split())}
    assert named and set(scores["phrase"].nonzero()[0]) == named
    assert s.rank(query).order[0] in named


def test_another_council_is_asked_for_only_where_a_passage_names_one(library):
    """An inspection's council is the place its passages give, except to a question asking for another
    ("which neighbouring council…"): then the passage must name a council other than its own."""
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    query = "Which neighbouring council runs Dorset's out-of-hours service, according to its 2025 inspection?"
    ranking = s.rank(query)
    assert s.passages[ranking.order[0]].document == "ilacs/dorset-2025-05-09"
    assert s.facts(ranking).not_given == ("the name of a place",)
    assert s.facts(s.rank("Which council runs the out-of-hours service, according to Dorset's 2025 "
                          "inspection?")).not_given == ()


def test_every_passage_of_an_inspection_gives_its_council_as_the_place(library):
    """"Which councils use…?" is answered by any inspection's passage on it, as the decision reads it:
    a passage that names a place must not jump above the best one only because it does."""
    from search.decision import _PLACE_TYPE, passage_gives
    from search.first import typed_first
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    unnamed = [i for i, p in enumerate(s.passages) if "Dorset" not in p.text and not any(x in p.text for x in s.places)]
    inspection = next(i for i in unnamed if s.passages[i].document == "ilacs/dorset-2025-05-09")
    guidance = next(i for i in unnamed if s.passages[i].document == "guidance/children-missing-education-2024")
    query = "Which councils run family hubs?"
    assert passage_gives(s, _PLACE_TYPE, inspection, query)
    assert not passage_gives(s, _PLACE_TYPE, guidance, query)
    assert not passage_gives(s, _PLACE_TYPE, inspection, "Which neighbouring council runs the out-of-hours service?")
    assert typed_first(s, query, [inspection, guidance]) == [inspection, guidance]
    assert typed_first(s, query, [guidance, inspection]) == [inspection, guidance]


def test_a_front_pages_fields_and_grade_table_open_no_section(library):
    """"Lead inspector: …" and the grade table's "Judgement Grade" are laid out as headings; the summary
    below them is the front page's, and its citation names no section."""
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    dorset = [p for p in s.passages if p.document == "ilacs/dorset-2025-05-09"]
    summary = next(p for p in dorset if p.text.startswith("Children in Dorset receive exceptional services"))
    assert summary.section == [] and summary.page == 1
    assert "Judgement" not in s.hit(1, s.by_id[summary.passage_id], s.rank("Dorset")).citation
    fields = [p for p in dorset if p.text.startswith(("Lead inspector:", "Inspection dates:", "Judgement Grade"))]
    assert len(fields) == 3 and all(p.kind == "heading" and p.section == [] for p in fields)
    assert next(p for p in dorset if p.text.startswith("1. ")).section == [
        "The experiences and progress of children who need help and protection: outstanding"]


def test_a_passage_names_the_councils_other_than_its_own():
    index = _index(
        _inspection("ilacs/cambridgeshire-2024", "Cambridgeshire", 2024),
        _inspection("ilacs/peterborough-2018", "Peterborough", 2018))
    text = "Leadership arrangements in Peterborough are combined with Cambridgeshire local authority."
    assert index.other_councils(text, "Peterborough") == {"Cambridgeshire"}
    assert index.other_councils("The out-of-hours service is run by a neighbouring authority.", "Peterborough") == set()


def test_a_question_about_what_needs_to_improve_gets_the_reports_list_of_improvements(library):
    """However far down the (here fake) order it is, the list under "What needs to improve?" of the
    report the question names comes first; a question about anything else is left alone."""
    from search.answer_types import asks_improvements
    from search.searcher import Searcher
    s = Searcher.open(library[0])
    from search.fuse import top_order
    asking = ("What did Ofsted say Dorset needed to improve about children referred to the Family Support and "
              "Advice Line, its front door, after its 2025 inspection?")
    assert asks_improvements(asking)
    ranking = s.rank(asking)
    assert not [i for i in top_order(ranking.fused, 3) if s.passages[i].section == ["What needs to improve?"]]
    top = s.passages[ranking.order[0]]
    assert top.section == ["What needs to improve?"] and "care leaver offer" in top.text
    other = "What did Dorset's 2025 inspection say about the care leaver offer?"
    assert not asks_improvements(other)
    assert not asks_improvements("Which charity was Kent working with to improve adoption?")


def test_a_programme_no_document_names_is_unanswered(library):
    """"The Safe and Together model": each of its words is in some report, the name in none. Acronyms,
    possessives and months are not such names ("York SCR", "Asperger's Syndrome", "Ofsted November"),
    and names with a proper noun in them are checked word by word elsewhere."""
    from search.documents import programme_names
    from search.searcher import Searcher
    assert programme_names("Which councils adopted the Safe and Together model?") == ["Safe and Together"]
    assert programme_names("the York SCR, Asperger's Syndrome and Ofsted November letters") == []
    s = Searcher.open(library[0])
    absent = "Which councils have adopted the Safe and Together model for families affected by domestic abuse?"
    assert s.unknown_phrases(absent) == ("Safe and Together",)
    assert s.search(absent).answer.reason == "The documents never mention Safe and Together."
    assert s.unknown_phrases("What does Dorset's Family Support and Advice Line do?") == ()
    assert s.unknown_phrases("What did Dorset do with Barnardos and Reunite in Wales?") == ()   # proper nouns


def test_a_text_file_its_folders_catalogue_lists_is_read_with_its_outline():
    """`askreport ingest corpus/` reads the report as a corpus build does: its catalog.toml entry gives
    its title and publisher, its outline the headings, case studies and practice implications."""
    from ingest.catalog import load_catalog
    from ingest.library import discover, parse_file
    from ingest.parse import parse_document
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    found = next(f for f in discover([corpus]).files if f.path.name == "ages-of-concern.txt")
    parsed = parse_file(found)
    entry = next(d for d in load_catalog(corpus) if d.file == "ages-of-concern.txt")
    expected = parse_document(corpus, entry, parsed.text)
    assert [(p.passage_id, p.kind, p.section, p.text) for p in parsed.passages] == \
        [(p.passage_id, p.kind, p.section, p.text) for p in expected]
    assert parsed.document.title == entry.title and parsed.document.publisher == entry.publisher
    assert {"case-study", "practice-implications"} <= {p.kind for p in parsed.passages}
