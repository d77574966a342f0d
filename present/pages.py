"""The fixed pieces of the page: its theme, header, the welcome texts of the Ask and Check tabs, messages."""
from __future__ import annotations

from markupsafe import Markup

from .common import Library, render


def message(text: str, kind: str = "info", title: str | None = None) -> Markup:
    return render("message.html", text=text, kind=kind, title=title)


def header(lib: Library) -> Markup:
    """The page's header: one document by its title, publisher and year; several as a library."""
    return render("header.html", lib=lib, doc=lib.single)


def label(text: str) -> Markup:
    return render("message.html", label=text)


def welcome(lib: Library) -> Markup:
    return render("welcome.html", lib=lib, tab="ask")


def check_welcome(lib: Library) -> Markup:
    return render("welcome.html", lib=lib, tab="check")


def read_welcome(lib: Library) -> Markup:
    """What a library's Read tab says before a document is opened."""
    return render("welcome.html", lib=lib, tab="read")


def theme():
    import gradio as gr
    system = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=system, font_mono=mono).set(
        button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700", button_primary_text_color="white")   # contrast >= 4.5
