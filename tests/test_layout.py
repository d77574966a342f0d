"""The code's shape: what the document knows lives in corpus/ data, not in Python."""
from __future__ import annotations

import ast
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


# -- the import graph and module sizes --------------------------------------------------------------
MAX_LINES = 400


def module_name(path: Path) -> str:
    """ingest/pdf.py -> 'ingest.pdf', ingest/__init__.py -> 'ingest', app.py -> 'app'."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of import nodes under `if TYPE_CHECKING:` (never run, so not an import at run time)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def project_imports() -> dict[str, set[str]]:
    """Each project module -> the project modules it imports anywhere in it (at the top or inside a
    function: a lazy import is still a dependency), relative imports resolved."""
    files = {module_name(p): p for p in project_python_files()}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _type_checking_only(tree)
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    package = package[:len(package) - (node.level - 1)]
                    base = ".".join(package + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from pkg import mod` imports the submodule; `from mod import name` the module
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                           for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in files:          # `import a.b.c`: the deepest project module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, …, a], or None."""
    state: dict[str, int] = {}           # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_import_graph_is_read_correctly():
    graph = project_imports()
    assert {"app", "cli", "config", "ingest.pdf", "ingest.pagetext", "search.searcher"} <= set(graph)
    assert "ingest.pagetext" in graph["ingest.pdf"]            # relative: from .pagetext import clean_pages
    assert "index.store" in graph["search.searcher"]           # absolute: from index import store
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_among_the_projects_modules():
    cycle = find_cycle(project_imports())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_app_does_not_import_the_cli():
    graph = project_imports()
    reached, todo = set(), ["app"]
    while todo:
        for nxt in graph[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    assert "cli" not in graph["app"], "app.py imports cli"
    assert "cli" not in reached, "app.py reaches cli through its imports"


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in project_python_files()}
    over = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines (split them by responsibility): {over}"
