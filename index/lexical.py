"""BM25 over texts, with an English stemmer and stop words (bm25s + PyStemmer)."""
from __future__ import annotations

import bm25s
import numpy as np
import Stemmer

TOKEN_PATTERN = r"(?u)\b\w+\b"         # keep one-character tokens: "8 weeks", "Table 4"


class BM25Index:
    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        tokens = self.tokenize(texts)
        self._bm25.index(tokens, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict) if hasattr(self._bm25, "vocab_dict") else None
        self.size = len(texts)

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(texts, token_pattern=TOKEN_PATTERN, stopwords="en", stemmer=self._stemmer,
                              return_ids=False, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """A BM25 score for every text, in index order (zeros when no term matches)."""
        terms = list(dict.fromkeys(self.tokenize([query])[0]))     # each term once, however often it is typed
        if self._vocab is not None:
            terms = [t for t in terms if t in self._vocab]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
