"""Ingestion: a document's text -> structured, citable passages. No torch, faiss or gradio here."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def package_data(name: str) -> dict:
    """A TOML file beside these modules (publishers.toml, councils.toml): data a user extends, read once."""
    return tomllib.loads(resources.files(__name__).joinpath(name).read_text("utf-8"))
