"""What kind of fact a question asks for, and whether a passage gives a fact of that kind.

A question can land on exactly the right case and still be unanswerable: "What prison sentence was
the father given?" finds the arson case, which never says. Classic question answering handles this
with answer types: "how long" wants a length of time, "what does it cost" an amount of money, "which
council" a place. When none of the passages shown contains a fact of the kind asked for, the report
does not answer the question, however close in meaning the passages are.

Only types whose evidence can be recognised in text reliably are here; a question with none of
them (why, how, what should…) is left to the other features. The patterns are general English,
not taken from any evaluation query. Place names come from the documents themselves: the rows of
tables keyed by an area (a board, council or local authority), as in the report's Annex C.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from check.align import extract_numbers

_NUMWORD = (r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an|a few|"
            r"several|some|many|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|"
            r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)")
_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|\d+(?:st|nd|rd|th))"
_UNIT = r"(?:hours?|days?|weeks?|months?|years?)"
_UNIT1 = r"(?:hour|day|week|month|year)"
_MONTH_NAMES = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_ROLE = (r"(?:director|chair|chairman|chairwoman|chairperson|leader|head|chief executive|author|minister|inspector|"
         r"commissioner|mayor|councillor|lead member|portfolio holder)s?")
_ANOTHER = r"(?:neighbouring|neighbour|nearby|adjacent|adjoining|other|another|different|partner)"
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady|Professor|Prof|Councillor|Cllr)\.? [A-Z][a-z]")
_CAPITALISED_PAIR = re.compile(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_AREA_HEADING = re.compile(r"\b(?:board|authority|authorities|council|area|region|county|borough)\b", re.I)


@dataclass(frozen=True)
class AnswerType:
    name: str
    wants: str                 # shown to users: "The closest passage does not give {wants}."
    asks: re.Pattern           # on the question
    gives: re.Pattern | None   # on a passage's text; None: see `gives`


def _rx(pattern: str, flags=re.I) -> re.Pattern:
    return re.compile(pattern, flags)


TYPES: tuple[AnswerType, ...] = (
    AnswerType("money", "an amount of money",
               _rx(r"\b(?:cost|costs|costing|price|prices|budget|budgets|fee|fees)\b|\bhow much\b.{0,40}\b(?:money|funding|grant)\b"
                   r"|\bhow much (?:did|does|do|will|would|can|could|should|must|is|are|was|were|has|have|had) .{0,60}"
                   r"\b(?:cost|pay|paid|paying|spend|spent|spending|fined?|charged?|worth)\b"
                   r"|\b(?:what|which) (?:[\w-]+ ){0,2}(?:salary|salaries|wages?|pay rates?|rates? of pay)\b"
                   r"|\bwhat (?:is|was|are|were) the (?:[\w-]+ )?fines?\b"),
               _rx(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|million|billion|bn)\b|\bpounds? sterling\b")),
    AnswerType("duration", "a length of time",
               _rx(rf"\bhow long\b|\bhow many {_UNIT}\b|\b(?:what|which) (?:length of time|period of time|time ?scales?"
                   r"|time ?frames?)\b"),
               _rx(rf"\b{_NUMWORD}[ -](?:[a-z]+ )?{_UNIT}\b|\b{_ORDINAL} {_UNIT1}\b|\btime ?scales?\b|\bwithin \d+\b")),
    AnswerType("frequency", "a frequency",
               _rx(r"\bhow (?:often|frequently|regularly)\b|\bat what (?:intervals?|frequency)\b"),
               _rx(rf"\b(?:every|each)\s(?:[\w-]+\s){{0,2}}?(?:{_UNIT}|terms?|school terms?|other|fortnight)\b"
                   rf"|\b(?:annual|annually|yearly|monthly|weekly|daily|fortnightly|quarterly|termly|biannual|"
                   rf"regular|regularly|frequent|frequently|periodic|periodically|routinely)\b"
                   rf"|\b(?:once|twice|{_NUMWORD} times)\s(?:a|an|per|every|each|in|within)\b|\bper {_UNIT1}\b"
                   rf"|\ba {_UNIT1}\b")),
    AnswerType("penalty", "a sentence or penalty",
               _rx(r"\b(?:prison|jail|gaol|custodial) (?:sentence|term)s?\b|\bsentenced\b|\bwhat sentences?\b"
                   r"|\b(?:sent|go|went|gone|put) (?:to|in|into) (?:prison|jail|gaol)\b|\b(?:jailed|imprisoned)\b"
                   r"|\bsentences? (?:was|were|did|does|do|is|are|has|had)\b"),
               _rx(r"\bsentenc\w*|\bprison\w*|\bjail\w*|\bgaol\w*|\bimprison\w*|\bcustod\w*")),
    AnswerType("age", "an age",
               _rx(r"\bhow old\b|\b(?:what|which) ages?\b|\bat what age\b"),
               _rx(rf"\b{_NUMWORD}[ -]{_UNIT}\b|\baged?\b|\b{_NUMWORD}-{_UNIT1}-olds?\b|\b(?:of|at|under|over) "
                   rf"(?:the age of )?(?:\d{{1,2}}|{_NUMWORD})\b|\bteens?\b|\bteenage")),
    AnswerType("date", "a date",
               _rx(r"\b(?:what|which|in what|in which) (?:year|years|date|dates|month)\b|^\W*when (?:did|was|were|had)\b"),
               _rx(rf"\b(?:19|20)\d\d\b|\b{_MONTH_NAMES}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b{_ORDINAL} month\b",
                   0)),
    AnswerType("place", "the name of a place",
               _rx(rf"\b(?:which|what) (?:{_ANOTHER} )?(?:local authority|local authorities|council|councils|borough|boroughs|town|"
                   r"towns|city|cities|county|counties|region|regions|local area|authority area|part of the country)\b"),
               None),
    AnswerType("grade", "a grade",
               _rx(r"\b(?:what|which) (?:grade|grades|grading|rating|ratings|judgement|judgment)\b"
                   r"|\bhow (?:was|were|is|are) .{0,80}\b(?:graded|rated|judged)\b"),
               _rx(r"\b(?:outstanding|good|adequate|inadequate)\b")),
    AnswerType("share", "a proportion",
               _rx(r"\b(?:what|which) (?:proportion|percentage|share|fraction)\b|\bhow many per ?cent\b"),
               _rx(r"\d\s?%|\bper ?cent\b|\b(?:half|halves|thirds?|quarters?|fifths?|tenths?|majority|minority)\b")),
    AnswerType("count", "a number",
               _rx(r"\bhow many\b|\bwhat (?:number|maximum|minimum|max|min)\b"),
               None),
    AnswerType("limit", "a limit",
               _rx(r"\b(?:what|which) (?:(?:is|was|are|were) )?(?:the )?(?:maximum|minimum|max|min|upper limit|lower limit)\b"
                   r"|\bwhat (?:is|was|are|were) the (?:[\w-]+ )?(?:limits?|caps?|ceilings?)\b"
                   r"|\bhow many\b.{0,80}\b(?:at (?:once|most|least|any one time|a time)|maximum|minimum)\b"),
               _rx(rf"\b(?:maximum|minimum|at most|at least|no (?:more|fewer|less) than|not (?:more|fewer|less) than|"
                   rf"up to [£$€]?{_NUMWORD}|limits?|caps?|capped|ceiling|exceed(?:s|ing)?)\b")),
    AnswerType("exact", "an exact figure",
               _rx(r"\bexact(?:ly)? (?:how many|number|figure)\b|\bhow many\b.{0,80}\bexactly\b"
                   r"|\b(?:average|mean|median) (?:number|caseloads?)\b"),
               None),
    AnswerType("person", "a person's name",
               _rx(r"\bwhat (?:is|was|were|are) (?:the )?names? of (?:the |its |their |his |her )?(?:[\w'’-]+ ){0,2}?"
                   rf"{_ROLE}\b|\bwho (?:is|was|were|are) (?:the |its |their )?(?:[\w'’-]+ ){{0,3}}?{_ROLE}\b"),
               None),
)
# Open questions have no fact type to check, but their answers have a shape: what should someone do
# (a sentence that says should, must, needs to), why (a sentence that gives a reason). These choose the
# sentence to highlight in a passage (`cues`); they never make search abstain.
OPEN: tuple[AnswerType, ...] = (
    AnswerType("action", "what to do",
               _rx(r"^\W*(?:what|how) (?:should|must|do|does|can)\b|\bwhat (?:action|actions|steps)\b"),
               _rx(r"\b(?:should|must|need(?:s|ed)? to|ought|required? to|ha(?:ve|s|d) to)\b")),
    AnswerType("reason", "a reason",
               _rx(r"^\W*why\b"),
               _rx(r"\b(?:because|as a result|due to|owing to|led to|caus\w*|reasons?|since|meant that|so that|"
                   r"result\w*)\b")),
)
_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]*")
_NUMBERED = re.compile(r"^\s*\d+(?:\.\d+)*[.)]?\s+")
# A recommendation tells someone what to do ("3. Ensure that practice for children who are privately
# fostered meets statutory requirements"): it restates a finding as a directive, and answers only a
# question asking what should be done or what was recommended.
_DIRECTIVE = _rx(r"^\W*(?:\d+(?:\.\d+)*[.)]?\s*)?(?:ensure|take action|take steps|improve|strengthen|develop|"
                 r"increase|reduce|make sure|establish|implement|undertake|prioritise|embed)\b")
# Inspections list what should be done under these headings too; a numbered paragraph under one is
# a finding whose own heading the PDF lost
_TO_IMPROVE = _rx(r"\W*(?:what needs to improve|what does the local authority need to improve|"
                  r"areas? for (?:improvement|development))\W*$")
_ASKS_ACTION = _rx(r"\b(?:should|must|ought|need(?:s|ed)? to|ha(?:ve|s|d) to|required|recommend\w*|improve\w*|told|"
                   r"asked|urged|actions?|steps)\b")
_ASKS_IMPROVEMENTS = _rx(r"\b(?:needs?|needed) to (?:improve|change|do better)\b|\bwhat (?:needs|needed|had) to "
                         r"(?:improve|change)\b|\bimprovements? (?:did )?(?:Ofsted|inspectors?|the inspection) (?:ask|asked|"
                         r"want|wanted|require|required|recommend|recommended)\b|\bareas? (?:for|of) improvement\b"
                         r"|\brecommend(?:ed|ations?)\b|\b(?:told|asked|urged) (?:[\w'’-]+ ){1,6}?to\b")
_GRADE_WORDS = _rx(r"\brequire[sd]? improvement(?: to be good)?\b")
_QUANTITY = _rx(r"\b(?:half|third|quarter|majority|minority|most|all|none|no|few|several|many|every)\b")


_QUESTION = re.compile(r"\?\s*$|^\W*(?:[\w ]{0,30},\s*)?(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|"
                       r"do|does|did|can|could|should|would|will|has|have|had|in what|in which)\b", re.I)


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def asked(text: str) -> list[AnswerType]:
    """The answer types a question asks for; [] for statements and for open questions."""
    if not _QUESTION.search(text):
        return []
    return [t for t in TYPES if t.asks.search(text)]


def cues(text: str) -> list[AnswerType]:
    """What a sentence that answers the question would give: its answer types, and the shape of an
    answer to an open question (OPEN)."""
    if not _QUESTION.search(text):
        return []
    return [*asked(text), *(t for t in OPEN if t.asks.search(text))]


def directive(text: str, section: list[str]) -> bool:
    """Is this passage a recommendation: under a heading that says so, or opening with a directive?"""
    return bool(_DIRECTIVE.search(text)) or listed_to_improve(text, section)


def listed_to_improve(text: str, section: list[str]) -> bool:
    """Is this passage what a report lists under "Recommendations" or "What needs to improve?"?"""
    return any("recommendation" in h.lower() for h in section) \
        or (not _NUMBERED.match(text) and any(_TO_IMPROVE.match(h) for h in section))


def asks_improvements(text: str) -> bool:
    """Does the text ask what a report said should improve ("what did Ofsted say X needed to improve?")?"""
    return bool(_ASKS_IMPROVEMENTS.search(text))


def asks_action(text: str) -> bool:
    """Does the text ask (or claim) what should be done, was recommended or was told? A grade ("requires
    improvement to be good") is not asking for one."""
    return bool(_ASKS_ACTION.search(_GRADE_WORDS.sub(" ", text)))


def area_names(passages) -> frozenset[str]:
    """Names of places in the documents: the row labels of tables whose row labels are headed by an
    area ("Local Safeguarding Children Board" over "Barking & Dagenham")."""
    passages = list(passages)
    tables = {p.passage_id: p for p in passages if p.kind == "table"}
    names = set()
    for p in passages:
        table = tables.get(p.table_id or "") if p.kind == "table-row" and p.row_label else None
        if table is None or not table.columns or [h for h, _ in p.cells] != table.columns[1:]:
            continue                                  # no heading over this row's label
        if _AREA_HEADING.search(table.columns[0]):
            names.add(p.row_label)
    return frozenset(names)


def gives(kind: AnswerType, text: str, places: frozenset[str] = frozenset(),
          lower: frozenset[str] = frozenset()) -> bool:
    """Does this passage text contain a fact of the kind asked for? lower: the words the documents write
    in lower case; a person's name is two capitalised words neither of which is one of them."""
    if kind.name == "place":
        return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) for n in places)
    if kind.name == "person":
        return bool(_HONORIFIC.search(text)) or any(a.lower() not in lower and b.lower() not in lower
                                                    for a, b in _CAPITALISED_PAIR.findall(text))
    if kind.name in ("count", "exact"):
        text = _NUMBERED.sub("", text)          # a paragraph's own number ("2. Take action…") is not a count
        return any(n.kind in ("count", "percent", "fraction") for n in extract_numbers(text)) \
            or (kind.name == "count" and bool(_QUANTITY.search(text)))     # "most children": not exactly how many
    return bool(kind.gives.search(text))


def not_given(question: str, texts: list[str], places: frozenset[str] = frozenset(),
              lower: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """What the question asks for that none of `texts` gives, as shown to users ("a length of time")."""
    return tuple(t.wants for t in asked(question) if not any(gives(t, x, places, lower) for x in texts))


_ANOTHER_COUNCIL = _rx(rf"\b(?:which|what) {_ANOTHER} (?:local authority|local authorities|councils?|boroughs?|"
                      r"authority|authorities|count(?:y|ies))\b")


def asks_another_council(question: str) -> bool:
    """"Which neighbouring council…": the council an inspection is of is not the place asked for."""
    return bool(_ANOTHER_COUNCIL.search(question))


def lower_case_words(texts) -> frozenset[str]:
    """The words the texts write in lower case: a capitalised word that is not one of them is a name."""
    return frozenset(w for text in texts for w in _LOWER_WORD.findall(text))
