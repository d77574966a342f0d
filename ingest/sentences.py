"""Sentence spans with nltk Punkt, trained on the document itself (no downloads)."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

_PARA_NUMBER = re.compile(r"^\s*\d{1,3}(?:\.\d{1,3})?\.\s*$")


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    lines = resources.files("ingest").joinpath("abbreviations.txt").read_text("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def train_tokenizer(text: str) -> PunktSentenceTokenizer:
    """Punkt parameters learnt from `text`, plus the shipped abbreviation list."""
    trainer = PunktTrainer()
    trainer.train(text, finalize=True)
    params = trainer.get_params()
    params.abbrev_types.update(_abbreviations())
    return PunktSentenceTokenizer(params)


def sentence_spans(tokenizer: PunktSentenceTokenizer, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], in `text` offsets, trimmed of whitespace.

    A bare paragraph number ("40.") is joined to the sentence it opens.
    """
    piece = text[start:end]
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    for s, e in tokenizer.span_tokenize(piece):
        if _PARA_NUMBER.match(piece[s:e]):
            pending = s if pending is None else pending
            continue
        if pending is not None:
            s, pending = pending, None
        spans.append((start + s, start + e))
    if pending is not None:
        spans.append((start + pending, end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
