"""Hybrid search: dense passages + dense sentences + BM25, fused; highlights the best sentences."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import store
from index.backends import EngineError
from index.engines import open_backend
from index.models import encode_queries, load_model
from index.units import retrieved
from ingest.layout import is_notice, is_reference
from ingest.passage import Passage, citation
from .answer_types import area_names, cues, gives, lower_case_words
from .decision import Features, decide, facts, reason, words_of
from .documents import DocumentIndex, Filters, name_phrases, plain_words, programme_names
from .first import first
from .fuse import fusion, scale_by_max, top_order
from .glossary import load_glossary
from .results import Answer, Group, Hit, SearchResult, Span, TableRow

RANK_DEPTH = 1000                 # a ranking keeps this many passages in order (check, grouping and
                                  # calibration read at most the first GROUP_POOL)
BOILERPLATE_DOCUMENTS = 5         # the same passage in this many documents is boilerplate ...
BOILERPLATE_PENALTY = 0.5         # ... and ranks below any passage that shares meaning or words with a query
REFERENCE_SHARE = 0.4             # an entry of a further-reading list takes this share of that penalty: it
                                  # points at a document, says nothing itself, yet answers "what guidance is
                                  # there on…" (library-dev cross R@1 0.625 -> 0.750 at any share 0.2-1.0)
PHRASE_WEIGHT = 0.2               # a passage with a name of several words the query uses ("Family Safeguarding")
PHRASE_CANDIDATES = 500           # ... looked for among this many best by those words (eval/library-heldout
                                  # cross R@1 and R@10 1/4 -> 2/4, nothing else moved; chosen with it in view)
GLOSSARY_WEIGHT = 0.6             # the words of the glossary's other names for a query's terms count this
                                  # share in BM25 (`lexical`). Leave-one-set-out over library-dev, the three
                                  # eval/library sets, dev and typed chose 0.6 on 5 of 6 folds (0.5 on the sixth)
                                  # from 0, 0.25, 0.5, 0.6, 0.75 and 1, by MRR plus unanswerable flagged
GROUP_POOL = 200                  # grouped results: the passages counted per document
MAX_QUERY_CHARS = 2000            # longer queries are refused by the CLI, cut by the app
LONE_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")   # shown as U+FFFD, the replacement character


class QueryError(ValueError):
    """A query that cannot be searched (empty, too long); the message says why."""


class SearchUnavailable(QueryError):
    """The search engine failed mid-query (e.g. the Milvus server went away): nothing is answered."""


@dataclass
class Ranking:
    """Every passage scored for one query: what search shows, check verifies and calibration measures."""
    query: str
    scores: dict[str, np.ndarray]   # per passage: dense_passage, dense_sentence, bm25, table_gate; per unit: unit
    fused: np.ndarray               # the fused score, -inf where a filter excludes the passage
    order: list[int]                # the allowed passages, best first
    allowed: np.ndarray


HAND_SET = {"w_dense_passage": 0.35, "w_dense_sentence": 0.5, "w_bm25": 0.10,
            "table_bm25": 0.4,    # extra lexical weight for table rows: dense models read tables poorly
            "w_named": 0.3}       # for passages of a document the query names (council, title; its year)


def fusion_weights(preset: str = "fast", kind: str = "text") -> dict[str, float]:
    """The fusion weights of a model preset: its table in search/weights.toml (fitted and recorded by
    evaluation/fit.py), HAND_SET for any weight or preset the file lacks. kind "paged": the weights for
    passages of paged documents (PDF, Word: no sentence units, a library's names and dates), the
    table's `paged` subtable over its own values."""
    import tomllib
    try:
        table = tomllib.loads((Path(__file__).with_name("weights.toml")).read_text(encoding="utf-8")).get(preset, {})
    except (OSError, tomllib.TOMLDecodeError):
        table = {}
    if kind == "paged":
        table = {**table, **table.get("paged", {})}
    return {k: float(table.get(k, v)) for k, v in HAND_SET.items()}


_FAST = fusion_weights("fast")


@dataclass
class Settings:
    fusion: str = "convex"
    w_dense_passage: float = _FAST["w_dense_passage"]
    w_dense_sentence: float = _FAST["w_dense_sentence"]
    w_bm25: float = _FAST["w_bm25"]
    table_bm25: float = _FAST["table_bm25"]
    w_named: float = _FAST["w_named"]
    highlight_bm25: float = 0.3       # weight of term overlap when choosing the sentence to highlight
    max_highlights: int = 2
    paged: dict[str, float] | None = None   # the weights for passages of paged documents (None: the same)

    @classmethod
    def for_preset(cls, preset: str, **overrides) -> "Settings":
        paged = fusion_weights(preset, "paged")
        return cls(**{**fusion_weights(preset), "paged": paged, **overrides})

    def weights(self, paged: np.ndarray) -> dict[str, float | np.ndarray]:
        """Each weight: one number, or per passage where paged passages have their own."""
        out = {k: getattr(self, k) for k in HAND_SET}
        if self.paged and paged.any():
            out = {k: np.where(paged, self.paged.get(k, v), v).astype(np.float32) if self.paged.get(k, v) != v else v
                   for k, v in out.items()}
        return out


class Searcher:
    def __init__(self, loaded: store.LoadedIndex, model, info, settings: Settings | None = None):
        self.index, self.model, self.info = loaded, model, info
        self.settings = settings or Settings.for_preset(info.name)
        self.passages: list[Passage] = loaded.passages
        self.weights = self.settings.weights(np.array([p.page is not None for p in self.passages], dtype=bool))
        self.documents = loaded.documents
        units = loaded.units
        self.unit_passage = np.array([u["passage"] for u in units], dtype=np.int64)
        self.unit_is_sentence = np.array([u["kind"] == "sentence" for u in units])
        self.sentence_unit: dict[tuple[int, int, int], int] = {
            (u["passage"], u["start_char"], u["end_char"]): n for n, u in enumerate(units) if u["kind"] == "sentence"}
        self._sentence_terms: dict[str, set[str]] = {}
        self.backend = open_backend(loaded)     # dense + BM25 scores: in process, or the engine the manifest names
        self.retrievable = np.array([retrieved(p) for p in self.passages])
        self.bm25 = self.backend.terms           # the lexical tokenizer (locally, the BM25 index itself)
        self.row_index = np.array([i for i, p in enumerate(self.passages) if p.kind == "table-row"], dtype=np.int64)
        self.row_words = [self._row_words(self.passages[i]) for i in self.row_index]
        self.table_rows: dict[str, list[tuple[Passage, set[str]]]] = {}     # table id -> rows, cell words
        for p in self.passages:
            if p.kind == "table-row" and p.table_id:
                cells = set(self.bm25.tokenize([" ".join(v for _, v in p.cells)])[0])
                self.table_rows.setdefault(p.table_id, []).append((p, cells))
        self.glossary = load_glossary()
        self.by_id = {p.passage_id: i for i, p in enumerate(self.passages)}
        self.parts = sorted({p.part for p in self.passages if p.part})
        self.doc_index = DocumentIndex(self.documents, self.passages)
        plain = [plain_words(p.text) for p in self.passages]
        self.boilerplate = boilerplate(self.passages, plain)
        self.plain = [f" {x} " for x in plain]       # each passage's words, spaced at both ends: phrases match whole words
        self.all_plain = "\n".join(self.plain)       # every passage's: a phrase no document has is not in it
        self.places = area_names(self.passages)
        self.lower = lower_case_words(p.text for p in self.passages)   # capitalised words not among these are names
        texts: dict[str, list[str]] = {}       # per document, its passages' words and its catalog names
        for p in self.passages:
            texts.setdefault(p.document, []).append(p.text)
        self.document_words = {d: words_of(" ".join([*t, m.title, m.publisher, m.council or ""]))
                               for d, t in texts.items() if (m := self.documents.get(d))}
        self.vocabulary = set().union(*self.document_words.values())

    @classmethod
    def open(cls, index_dir: Path, settings: Settings | None = None) -> "Searcher":
        loaded = store.load_index(index_dir)
        recorded = loaded.manifest["model"]
        model, info = load_model(recorded["preset"])
        if info.fingerprint != recorded.get("fingerprint") or info.dimension != recorded.get("dimension"):
            raise store.IndexLoadError(
                f"index was built with {recorded.get('model_id')} (fingerprint {str(recorded.get('fingerprint'))[:12]}, "
                f"dim {recorded.get('dimension')}) but the installed model is {info.model_id} "
                f"(fingerprint {info.fingerprint[:12]}, dim {info.dimension}); run `askreport ingest`")
        return cls(loaded, model, info, settings)

    # -- scoring --------------------------------------------------------------------------
    def encode(self, query: str) -> np.ndarray:
        return encode_queries(self.model, [query])[0]

    def score(self, query: str, vector: np.ndarray | None = None,
              documents: list[str] | None = None) -> dict[str, np.ndarray]:
        """Per-passage scores from each retriever, plus per-unit dense similarities. documents: the
        only documents a filter allows (an engine then returns its top-k among them). When the query
        names documents ("Bristol's 2014 inspection"), the names pick the documents (`named`) and the
        rest of the query ranks their passages: "Bristol", "2014" and "Ofsted" would otherwise favour
        whichever passage repeats them, not the one that answers."""
        content = self.doc_index.without_names(query)
        vector = self.encode(content) if vector is None else vector
        try:
            unit_sim = self.backend.dense_scores(vector, documents)
            lexical = self.lexical(content, documents)
        except EngineError as e:
            raise SearchUnavailable(str(e)) from None
        n = len(self.passages)
        dense_passage = np.full(n, -1.0, dtype=np.float32)
        dense_sentence = np.full(n, -1.0, dtype=np.float32)
        whole = ~self.unit_is_sentence
        np.maximum.at(dense_passage, self.unit_passage[whole], unit_sim[whole])
        np.maximum.at(dense_sentence, self.unit_passage[self.unit_is_sentence], unit_sim[self.unit_is_sentence])
        dense_sentence = np.maximum(dense_sentence, dense_passage)     # one-sentence passages
        bm25 = scale_by_max(lexical)
        words = {t for t in self.query_terms(query) if t.isalpha()}
        table_gate = np.zeros(n, dtype=np.float32)
        table_gate[self.row_index] = [bool(words & row) for row in self.row_words]
        return {"dense_passage": dense_passage, "dense_sentence": dense_sentence, "bm25": bm25,
                "table_gate": table_gate, "named": self.doc_index.named(query), "unit": unit_sim,
                "phrase": self.phrase_scores(content, documents)}

    def lexical(self, content: str, documents: list[str] | None = None) -> np.ndarray:
        """BM25 of the query's own words plus GLOSSARY_WEIGHT times BM25 of the words that the glossary's
        other names for its terms add, each word once. Added to the query itself, "children's social
        care" brought eight other names, "social" seven times over, and buried the rare word the answer
        holds ("the Manchester Arena attack")."""
        own = set(self.bm25.tokenize([content])[0])
        words = list(dict.fromkeys(re.findall(r"\w+", " ".join(self.glossary.additions(content)).lower())))
        new = [w for w, terms in zip(words, self.bm25.tokenize(words)) if terms and terms[0] not in own]
        scores = self.backend.lexical_scores(content, documents)
        return scores + GLOSSARY_WEIGHT * self.backend.lexical_scores(" ".join(new), documents) if new else scores

    def phrase_scores(self, content: str, documents: list[str] | None) -> np.ndarray:
        """Per passage, 1.0 where it has a name of several words the query uses ("Achieving for Children";
        search.documents.name_phrases). Looked for among the PHRASE_CANDIDATES passages its words score
        best on by BM25, so a name costs one more lexical query, not a scan of every passage."""
        out = np.zeros(len(self.passages), dtype=np.float32)
        for phrase in name_phrases(content):
            try:
                lexical = self.backend.lexical_scores(phrase, documents)
            except EngineError as e:
                raise SearchUnavailable(str(e)) from None
            out[[i for i in top_order(np.where(lexical > 0, lexical, -np.inf), PHRASE_CANDIDATES)
                 if f" {phrase} " in self.plain[i]]] = 1.0
        return out

    def unknown_phrases(self, content: str) -> tuple[str, ...]:
        """The names made of ordinary words (ones the documents write in lower case) that no passage has
        ("the Safe and Together model"): each word is in some report, so `unknown_names` cannot tell that
        none names it. A name with a proper noun in it ("Barnardos and Reunite in Wales") is left to
        the checks of single names."""
        return tuple(x for x in programme_names(content) if f" {plain_words(x)} " not in self.all_plain
                     and all(w.lower() in self.lower for w in x.split()))

    def _row_words(self, p: Passage) -> set[str]:
        """A table row's own words (label and values, not the caption or column headings that
        every row repeats): a query word among them is what earns the row its lexical boost."""
        own = " ".join([p.row_label or ""] + [v for _, v in p.cells])
        return {t for t in self.bm25.tokenize([own])[0] if t.isalpha()}

    def fuse(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        s, w = self.settings, self.weights
        lists = [scores["dense_passage"], scores["dense_sentence"], scores["bm25"]]
        fused = fusion(s.fusion)(lists, [w["w_dense_passage"], w["w_dense_sentence"], w["w_bm25"]])
        fused = fused + w["table_bm25"] * scores["table_gate"] * scores["bm25"] - BOILERPLATE_PENALTY * self.boilerplate
        fused = fused + PHRASE_WEIGHT * scores["phrase"] if "phrase" in scores else fused
        return fused + w["w_named"] * scores["named"] if "named" in scores else fused

    # -- the one ranking search, check and calibration share ----------------------------------
    def rank(self, query: str, kinds: set[str] | None = None, part: str | None = None,
             filters: Filters | None = None) -> Ranking:
        in_documents = self.doc_index.mask(filters)
        allowed = self._allowed(kinds, part) & in_documents
        scores = self.score(query, documents=self._pushdown(in_documents))
        fused = np.where(allowed, self.fuse(scores), -np.inf)
        return Ranking(query, scores, fused, first(self, query, scores["bm25"], allowed, top_order(fused, RANK_DEPTH)),
                       allowed)

    # -- the public call ---------------------------------------------------------------------
    def search(self, query: str, k: int = 10, kinds: set[str] | None = None, part: str | None = None,
               filters: Filters | None = None, group: bool = False) -> SearchResult:
        """The k best passages (group: the best passage of each of the k best documents, with how
        many of the GROUP_POOL best passages each document holds)."""
        query = check_query(query)
        ranking = self.rank(query, kinds, part, filters)
        groups = None
        if group:
            order, groups = self.by_document(ranking, k)
        else:
            order = ranking.order[:max(0, k)]
        terms = self.query_terms(query)
        results = [self.hit(rank, i, ranking, terms) for rank, i in enumerate(order, 1)]
        answer = self.answer(results, ranking)
        if rows := self.table_listing(order, terms):
            answer.table_rows = rows
        documents = {h.document: self.doc_index.summary(h.document) for h in results}
        return SearchResult(query, self.model_label(), answer, [e.note for e in self.glossary.match(query)], results,
                            documents, groups)

    def by_document(self, ranking: Ranking, k: int) -> tuple[list[int], list[Group]]:
        pool = ranking.order[:GROUP_POOL]
        best: dict[str, int] = {}
        counts: dict[str, int] = {}
        for i in pool:
            doc = self.passages[i].document
            best.setdefault(doc, i)
            counts[doc] = counts.get(doc, 0) + 1
        docs = list(best)[:max(0, k)]
        return [best[d] for d in docs], [Group(d, self.documents[d].title, counts[d], len(pool)) for d in docs]

    def _pushdown(self, in_documents: np.ndarray) -> list[str] | None:
        """The documents a filter allows, for a backend that filters in the engine (None: all)."""
        if not self.backend.pushdown or in_documents.all():
            return None
        return [self.doc_index.ids[d] for d in np.unique(self.doc_index.passage_doc[in_documents])]

    def _allowed(self, kinds: set[str] | None, part: str | None) -> np.ndarray:
        mask = self.retrievable.copy()
        if kinds:
            mask &= np.array([p.kind in kinds for p in self.passages])
        if part:
            if part not in self.parts:
                raise QueryError(f"unknown part {part!r}; choose one of {', '.join(sorted(self.parts))}")
            mask &= np.array([p.part == part for p in self.passages])
        return mask

    def model_label(self) -> dict:
        return {"preset": self.info.name, "model_id": self.info.model_id}

    def table_listing(self, order: list[int], terms: set[str]) -> list[TableRow]:
        """For a question over a whole table ("which boards had a review judged inadequate?"):
        every row of the top result's table whose cells contain a query term, when that term
        picks out several rows but not all of them."""
        if not order or self.passages[order[0]].kind != "table-row":
            return []
        top = self.passages[order[0]]
        rows = self.table_rows.get(top.table_id or "", [])
        picks = [[p for p, cells in rows if term in cells] for term in sorted(terms)
                 if term.isalpha()]                      # words, not numbers that also occur in dates
        picks = [chosen for chosen in picks if 1 < len(chosen) < len(rows)]
        if not picks:
            return []
        document = self.documents[top.document]
        return [TableRow(p.passage_id, p.label, p.text, p.start_char, p.end_char, citation(p, document))
                for p in min(picks, key=len)]

    def query_terms(self, query: str) -> set[str]:
        return set(self.bm25.tokenize([self.glossary.expand(query)])[0])

    def highlights(self, i: int, query: str, unit_sim: np.ndarray, terms: set[str] | None = None) -> list[Span]:
        p = self.passages[i]
        if len(p.sentences) <= 1:
            return [Span(s.start_char, s.end_char, s.text) for s in p.sentences]
        terms = self.query_terms(query) if terms is None else terms
        ranked = []
        for s in p.sentences:
            unit = self.sentence_unit.get((i, s.start_char, s.end_char))
            overlap = len(terms & self.sentence_terms(s)) / (len(terms) or 1)
            dense = float(unit_sim[unit]) if unit is not None else -1.0
            ranked.append((dense + self.settings.highlight_bm25 * overlap, s))
        ranked.sort(key=lambda x: -x[0])
        best = ranked[0][0]
        wanted = cues(query)      # the best sentence that gives what the question asks for, if one does:
        if wanted:                # the closest in meaning often restates the question's case instead
            answering = [x for x in ranked if all(gives(k, x[1].text, self.places, self.lower) for k in wanted)]
            if answering and answering[0] is not ranked[0]:
                ranked.remove(answering[0])
                ranked.insert(0, (best, answering[0][1]))
        keep = [s for score, s in ranked[: self.settings.max_highlights] if score >= best - 0.05]
        return [Span(s.start_char, s.end_char, s.text) for s in keep]

    def sentence_terms(self, sentence) -> set[str]:
        """A sentence's terms (stemmed, stop words out), cached by its text: offsets are per document,
        so two documents' sentences can share them."""
        if sentence.text not in self._sentence_terms:
            self._sentence_terms[sentence.text] = set(self.bm25.tokenize([sentence.text])[0])
        return self._sentence_terms[sentence.text]

    def hit(self, rank: int, i: int, ranking: Ranking, terms: set[str] | None = None) -> Hit:
        p = self.passages[i]
        score = float(ranking.fused[i]) if np.isfinite(ranking.fused[i]) else 0.0
        return Hit(rank, p.passage_id, p.document, p.paragraph, p.section, p.kind, p.label, p.text,
                   round(score, 4), p.source, p.start_char, p.end_char,
                   self.highlights(i, ranking.query, ranking.scores["unit"], terms),
                   citation(p, self.documents[p.document]), p.page, p.pages or None, p.page_label)

    def facts(self, ranking: Ranking, alignment: float | None = None, query: str | None = None) -> Features:
        """The found/not-found decision's features for this ranking (search.decision.facts)."""
        return facts(self, ranking, alignment, query)

    def answer(self, results: list[Hit], ranking: Ranking) -> Answer:
        if not results:
            return Answer(False, 0.0, None, None, None)
        top = results[0]
        facts = self.facts(ranking)
        found, confidence = decide(facts)
        best = top.highlights[0].text if top.highlights else top.text
        return Answer(found, round(confidence, 3), best, top.passage_id, top.citation,
                      not_mentioned=list(facts.unknown) or None, not_given=list(facts.not_given) or None,
                      reason=None if found else reason(facts))


def boilerplate(passages: list[Passage], plain: list[str] | None = None) -> np.ndarray:
    """Per passage, 1.0 where the same words (case, spacing and punctuation aside) stand in BOILERPLATE_DOCUMENTS
    or more documents, or a publisher's notice opens it (ingest/publishers.toml [notices]; its wording
    varies from year to year): a notice on every report ("Ofsted regulates and inspects…") says
    nothing about any one of them, and would otherwise answer every question about inspections.
    REFERENCE_SHARE where it is an entry of a further-reading list (ingest.layout.is_reference).
    plain: the passages' plain_words, when the caller has them."""
    key = plain if plain is not None else [plain_words(p.text) for p in passages]
    docs: dict[str, set[str]] = {}
    for k, p in zip(key, passages):
        docs.setdefault(k, set()).add(p.document)
    return np.array([1.0 if len(docs[k]) >= BOILERPLATE_DOCUMENTS or is_notice(p.text) else
                     REFERENCE_SHARE if is_reference(p.text) else 0.0 for k, p in zip(key, passages)], dtype=np.float32)


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the query is empty; type a question, a quote or a claim")
    query = " ".join(query.split()).translate(LONE_SURROGATES)   # JSON can carry them; the tokenizer cannot
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    return query
