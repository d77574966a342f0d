"""Plain-text rendering of search results for the terminal."""
from __future__ import annotations

import textwrap


def mark(text: str, highlight: str | None) -> str:
    """Wrap the highlighted sentence in »…« so it stands out in a terminal."""
    if highlight and highlight in text:
        return text.replace(highlight, f"»{highlight}«", 1)
    return text


def search_text(out: dict) -> str:
    lines = []
    answer = out["answer"]
    if answer["found"]:
        lines += [f"Answer ({answer['confidence']:.0%} confident): {answer['text']}", f"  — {answer['citation']}", ""]
    else:
        why = f" {answer['reason']}" if answer.get("reason") else ""
        lines += [f"The report does not appear to answer this.{why} Nearest passages:", ""]
    for note in out.get("glossary", []):
        lines.append(f"  glossary: {note}")
    for r in out["results"]:
        top = r["highlights"][0]["text"] if r["highlights"] else None
        lines.append(f"{r['rank']:>2}. {r['citation']}  [{r['kind']}]")
        if r["section"]:
            lines.append("    " + " › ".join(r["section"]))
        body = mark(" ".join(r["text"].split()), top)
        lines += textwrap.wrap(body, 100, initial_indent="    ", subsequent_indent="    ")
        lines.append("")
    lines.append(f"model: {out['model']['preset']} ({out['model']['model_id']})")
    return "\n".join(lines)
