"""Plain text for the terminal: search results and check verdicts."""
from __future__ import annotations

import textwrap

from check.checker import describe
from check.figures import short
from search.results import CheckResult, SearchResult


def mark(text: str, highlight: str | None) -> str:
    """Wrap the highlighted sentence in »…« so it stands out in a terminal."""
    if highlight and highlight in text:
        return text.replace(highlight, f"»{highlight}«", 1)
    return text


def search_text(out: SearchResult) -> str:
    lines = []
    answer = out.answer
    if answer.found:
        lines += [f"Answer ({answer.confidence:.0%} confident): {answer.text}", f"  — {answer.citation}", ""]
    else:
        why = f" {answer.reason}" if answer.reason else ""
        lines += [f"The documents do not appear to answer this.{why} Nearest passages:", ""]
    for note in out.glossary:
        lines.append(f"  glossary: {note}")
    for r in out.results:
        top = r.highlights[0].text if r.highlights else None
        lines.append(f"{r.rank:>2}. {r.citation}  [{r.kind}]")
        if r.section:
            lines.append("    " + " › ".join(r.section))
        body = mark(" ".join(r.text.split()), top)
        lines += textwrap.wrap(body, 100, initial_indent="    ", subsequent_indent="    ")
        lines.append("")
    lines.append(f"model: {out.model['preset']} ({out.model['model_id']})")
    return "\n".join(lines)


# -- check ---------------------------------------------------------------------------------------
_HEAD = {"verbatim": "VERBATIM", "near-verbatim": "NEAR-VERBATIM", "paraphrase": "PARAPHRASE",
         "figures-differ": "FIGURES DIFFER", "not-found": "NOT FOUND"}


def check_text(out: CheckResult) -> str:
    verdict = out.verdict
    head = "NOT STATED" if verdict == "not-found" and out.adds else _HEAD.get(verdict, verdict)
    lines = [f"{head}  (similarity {out.similarity:.2f})", out.explanation, ""]
    matches = out.matches
    for n, m in enumerate(matches):
        if n == 0:
            title = {"verbatim": "Source", "near-verbatim": "Source", "figures-differ": "Source",
                     "paraphrase": "Closest passage — read it",
                     "not-found": "Nearest passage (it does not say this)"}[verdict]
        elif n == 1:
            title = "Also near" if verdict != "verbatim" else "Also at"
            lines.append("")
        else:
            title = "Also near" if verdict != "verbatim" else "Also at"
        lines.append(f"{title}: {m.citation}")
        if n == 0 or verdict == "verbatim":
            if m.match:
                lines.append(_wrap(f"“{' '.join(m.match.text.split())}”", "    "))
            else:
                lines.append(_wrap(m.highlights[0].text if m.highlights else m.text, "    "))
            for d in m.differences or []:
                lines.append(_wrap("- " + describe(d), "      ", first="    "))
        else:
            first = m.highlights[0].text if m.highlights else m.text
            lines.append(_wrap(short(" ".join(first.split()), 160), "    "))
    return "\n".join(lines).rstrip()


def _wrap(text: str, indent: str, width: int = 100, first: str | None = None) -> str:
    import textwrap
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=first if first is not None else indent,
                         subsequent_indent=indent)
