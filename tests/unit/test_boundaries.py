"""The import rules hold (lint-imports, also run by `make test`), each contract fails on a
violation, and no package imports itself in a circle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
PACKAGES = ("surveys", "webapp", "workers")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def copy_of_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_project_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("surveys/report/results.py", "import flask", "knows nothing of the web"),
    ("surveys/collect/store.py", "import webapp.extensions", "knows nothing of the web"),
    ("webapp/health.py", "import workers.jobs", "never import each other"),
    ("workers/jobs.py", "import webapp.extensions", "never import each other"),
    ("surveys/fold/aggregation.py", "import redis", "only surveys.infra talks"),
    ("surveys/definitions/lookup.py", "from rq import Queue", "only surveys.infra talks"),
])
def test_each_contract_fails_on_a_violation(copy_of_project, module, line, contract):
    path = copy_of_project / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # noqa\n")
    try:
        result = lint(copy_of_project)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if "BROKEN" in row]
    assert any(contract in row for row in broken), result.stdout


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node) & modules:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def _graph(root: Path) -> tuple[grimp.ImportGraph, set[str]]:
    sys.path.insert(0, str(root))
    try:
        graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(root))
    # A package's __init__ importing its own submodules is not a cycle between features.
    modules = {m for m in graph.modules if m.split(".")[0] in PACKAGES}
    return graph, modules


def test_no_import_cycles():
    graph, modules = _graph(ROOT)
    assert _cycles(graph, modules) == []


def test_the_cycle_check_finds_a_cycle():
    graph, modules = _graph(ROOT)
    graph.add_import(importer="surveys.infra.db", imported="surveys.fold.aggregation")
    graph.add_import(importer="surveys.fold.aggregation", imported="surveys.infra.db")
    assert any({"surveys.infra.db", "surveys.fold.aggregation"} <= set(group)
               for group in _cycles(graph, modules))
