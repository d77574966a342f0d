"""Tests for the UK safeguarding glossary (index/glossary.toml + index/glossary.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.glossary import DEFAULT_PATH, Entry, GlossaryError, load_glossary

REPORT = Path(__file__).resolve().parents[1] / "corpus" / "ages-of-concern.txt"

# Entries whose term and aliases do not occur in the 2011 report: vocabulary of the field
# that users ask about (statutory names, newer names, or topics the report does not name).
# Keep this list small and explicit; every other entry must be grounded in the report text.
NOT_IN_REPORT = {
    "multi-agency safeguarding hub",  # MASH: front-door model that spread after 2011
    "multi-agency risk assessment conference",  # MARAC: domestic abuse risk meetings
    "multi-agency public protection arrangements",  # MAPPA: offender management
    "child death overview panel",  # CDOP: statutory child death reviews since 2008
    "early help",  # Working Together 2013+ term (CAF in 2011)
    "private fostering",
    "section 47 enquiry",  # the report says "child protection" without the section number
    "emotional abuse",
    "fabricated or induced illness",
    "child criminal exploitation",  # county lines: post-2011 term
    "toxic trio",  # case-review research term for DA + mental ill-health + substance misuse
    "young carer",
}


@pytest.fixture(scope="module")
def g():
    return load_glossary()


def terms(g, query):
    return [e.term for e in g.match(query)]


def write(tmp_path, body):
    path = tmp_path / "glossary.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --- data -------------------------------------------------------------------------------

def test_size_and_entry_shape(g):
    assert 60 <= len(g.entries) <= 120
    for e in g.entries:
        assert isinstance(e, Entry) and isinstance(e.aliases, tuple)
        assert e.definition.endswith(".")
        assert len(re.findall(r"[.!?](?:\s|$)", e.definition)) == 1, f"one sentence: {e.term}"
        assert e.note.startswith(f"{e.term} = ") and len(e.note) < 160


def test_header_documents_sources_and_eval_rule():
    header = DEFAULT_PATH.read_text(encoding="utf-8").split("\n[[entry]]")[0]
    assert "Working Together" in header and "Children Act" in header
    assert "NEVER" in header and "evaluation queries" in header


def test_every_entry_is_in_report_or_a_documented_modern_name(g):
    found = {e.term for e in g.mentions(REPORT.read_text(encoding="utf-8"))}
    absent = {e.term for e in g.entries} - found
    assert absent == NOT_IN_REPORT, f"unexpected: {absent - NOT_IN_REPORT}, stale: {NOT_IN_REPORT - absent}"


def test_required_vocabulary_is_covered(g):
    pairs = {
        "child in local authority care": "looked after child",
        "local safeguarding partnership": "Local Safeguarding Children Board",
        "safeguarding children partnership": "Local Safeguarding Children Board",
        "local child safeguarding practice review": "serious case review",
        "children's mental health services": "Child and Adolescent Mental Health Service",
        "cot death": "sudden unexpected death in infancy",
        "SIDS": "sudden unexpected death in infancy",
        "co-sleeping death": "overlay",
        "section 17": "child in need",
        "child protection register": "child protection plan",
        "unborn baby assessment": "pre-birth assessment",
        "family doctor": "GP",
        "domestic violence": "domestic abuse",
        "youth justice service": "Youth Offending Service",
        "social services": "children's social care",
        "abusive head trauma": "shaken baby syndrome",
        "grooming": "child sexual exploitation",
        "drug and alcohol misuse": "substance misuse",
        "ASBO": "anti-social behaviour order",
    }
    for phrase, term in pairs.items():
        assert terms(g, phrase) == [term], phrase


# --- matching ---------------------------------------------------------------------------

def test_abbreviations_match_as_whole_words(g):
    assert terms(g, "What did the LSCB find?") == ["Local Safeguarding Children Board"]
    assert terms(g, "LSCBs and SCRs") == ["Local Safeguarding Children Board", "serious case review"]
    assert terms(g, "referred to camhs") == ["Child and Adolescent Mental Health Service"]
    assert terms(g, "Camhs thresholds") == ["Child and Adolescent Mental Health Service", "threshold"]
    assert terms(g, "the GP's role") == terms(g, "GPs") == terms(g, "a gp") == ["GP"]


def test_no_substring_false_positives(g):
    # Decision: "GPS" (and lower-case "gps") is the satellite system, not plural GPs.
    for query in ["GPS tracking", "gps", "laptop", "nascar", "sciences", "Laced", "cinema",
                  "flask", "Dated", "Sideshow", "asbos2"]:
        assert g.match(query) == [], query
    assert terms(g, "agencies working together") == []  # only the guidance title, by case
    assert terms(g, "Working Together 2018") == ["Working Together to Safeguard Children"]
    assert terms(g, "mashed potato MASH") == ["multi-agency safeguarding hub"]
    assert terms(g, "mash") == []


def test_plural_apostrophe_and_hyphen_tolerance(g):
    lac = ["looked after child"]
    assert terms(g, "looked-after children") == terms(g, "Looked After Child's plan") == lac
    assert terms(g, "children’s social care") == terms(g, "childrens social care") == ["children's social care"]
    assert terms(g, "pre birth assessments") == terms(g, "prebirth assessment") == ["pre-birth assessment"]
    assert terms(g, "cosleeping") == terms(g, "co sleeping") == terms(g, "co‑sleeping") == ["co-sleeping"]
    assert terms(g, "antisocial behaviour orders") == ["anti-social behaviour order"]
    assert terms(g, "babies") == ["baby"] and terms(g, "non-accidental injuries") == ["non-accidental injury"]
    assert terms(g, "Munchausens by proxy") == ["fabricated or induced illness"]


def test_longest_match_wins(g):
    assert terms(g, "child protection plans") == ["child protection plan"]
    assert terms(g, "co-sleeping death") == ["overlay"]
    assert terms(g, "Youth Offending Team") == ["Youth Offending Service"]
    assert terms(g, "intentionally homeless families") == ["intentionally homeless"]


def test_match_order_and_notes(g):
    q = "SUDI and overlay after drinking, was the health visitor involved?"
    assert terms(g, q) == ["sudden unexpected death in infancy", "overlay", "health visitor"]
    assert g.match("looked after")[0].note == "looked after child = child in local authority care"


# --- expansion --------------------------------------------------------------------------

def test_expand_adds_report_wording(g):
    out = g.expand("cot death and bed sharing")
    assert out.startswith("cot death and bed sharing (")
    for phrase in ["sudden unexpected death in infancy", "co-sleeping", "SIDS"]:
        assert phrase in out
    assert out.count("cot death") == 1 and "; bed sharing" not in out
    assert g.expand("no glossary words here") == "no glossary words here"


def test_expand_keeps_spelling_variants_lexical_search_needs(g):
    out = g.expand("cosleeping")
    assert "co-sleeping" in out and out.count("cosleeping") == 1


@pytest.mark.parametrize("query", [
    "What did LSCBs learn about cot deaths and cosleeping?",
    "teenage mothers in care with CAMHS input",
    "DV, drink and drugs: the toxic trio",
    "GP’s role in pre-birth assessments for looked-after teenagers",
    "",
])
def test_expand_is_idempotent_and_deterministic(g, query):
    once = g.expand(query)
    assert g.expand(once) == once
    assert load_glossary().expand(query) == once
    assert set(terms(g, once)) == set(terms(g, query))


# --- malformed files --------------------------------------------------------------------

GOOD = '[[entry]]\nterm = "GP"\naliases = ["family doctor"]\ndefinition = "A doctor."\n'


def test_custom_path_loads(tmp_path):
    g = load_glossary(write(tmp_path, GOOD))
    assert len(g.entries) == 1 and g.match("my family doctor")[0].note == "GP = family doctor"


@pytest.mark.parametrize("body, message", [
    ('[[entry]]\naliases = ["x"]\ndefinition = "D."\n', "missing or empty 'term'"),
    ('[[entry]]\nterm = "T"\ndefinition = "  "\n', "missing or empty 'definition'"),
    (GOOD + '[[entry]]\nterm = "doctor"\naliases = ["family doctors"]\ndefinition = "D."\n',
     "maps to two terms"),
    (GOOD + GOOD, "maps to two terms"),
    ('[[entry]]\nterm = "T"\naliases = "x"\ndefinition = "D."\n', "list of non-empty strings"),
    ('[[entry]]\nterm = "T"\naliases = ["x", "X"]\ndefinition = "D."\n', "listed twice"),
    ('[[entry]]\nterm = "T"\ndefnition = "D."\ndefinition = "D."\n', "unknown keys"),
    ('[[entry]]\nterm = "T (x)"\ndefinition = "D."\n', "no ( ) ;"),
    ('[[entry]]\nterm = "T"\ncase_sensitive = ["U"]\ndefinition = "D."\n', "does not have"),
    ('term = "T"\n', "[[entry]]"),
    ('entry = [1, 2]\n', "[[entry]]"),
    ('[[entry]\nterm = "T"\n', "not valid TOML"),
])
def test_malformed_file_fails_loudly(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(GlossaryError) as err:
        load_glossary(path)
    assert message in str(err.value) and str(path) in str(err.value)
