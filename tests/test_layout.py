"""The code's shape: what the document knows lives in corpus/ data, not in Python."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT_WORDS = re.compile(r"babies|young-people|ages of concern", re.IGNORECASE)


def project_python_files() -> list[Path]:
    """Every *.py of the project outside tests/ and hidden folders (.venv, .git, …)."""
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] == "tests" or any(p.startswith(".") for p in parts) or "site-packages" in parts:
            continue
        files.append(path)
    return files


def test_no_document_knowledge_in_code():
    files = project_python_files()
    assert any(p.name == "app.py" for p in files) and any(p.parent.name == "present" for p in files)
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in files
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if DOCUMENT_WORDS.search(line)]
    assert not found, "document knowledge in code (move it to corpus/):\n" + "\n".join(found)


def test_presentation_modules_are_small_and_html_is_in_templates():
    present = ROOT / "present"
    for path in present.glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines < 400, f"{path.name} has {lines} lines"
    assert list((present / "templates").glob("*.html"))
