"""Ingestion: a document's text -> structured, citable passages. No torch, faiss or gradio here."""
