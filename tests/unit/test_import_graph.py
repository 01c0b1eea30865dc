"""No import cycles among ztui's modules, counting deferred (function-level) imports.

The graph is read from the source with `ast`: every `import` and `from ... import`
anywhere in a module, except under `if TYPE_CHECKING:`. `ztui.cli.main` also imports
each command's runner by name (`ztui.cli.args.COMMANDS`); those count as its imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()
"""Cycles that still exist; any other cycle fails, and so does one of these once gone."""


def module_files(root: Path, package: str = "ztui") -> dict[str, Path]:
    """Every module of `package` under `root`, by dotted name (packages by their own)."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            ):
                for statement in node.body:
                    skipped.update(id(inner) for inner in ast.walk(statement))
    return skipped


def _imported_names(module: str, is_package: bool, tree: ast.AST) -> Iterator[str]:
    skipped = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            yield source
            # `from ztui.cli import headless` imports the module ztui.cli.headless.
            yield from (f"{source}.{alias.name}" for alias in node.names)


def import_graph(root: Path, package: str = "ztui") -> dict[str, set[str]]:
    """Each module of `package` mapped to the modules of `package` it imports."""
    files = module_files(root, package)

    def owner(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        targets = {owner(name) for name in _imported_names(module, is_package, tree)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def ztui_graph() -> dict[str, set[str]]:
    """The import graph of ztui, with the command runners `ztui.cli.main` loads by name."""
    from ztui.cli.args import COMMANDS

    graph = import_graph(ROOT)
    for command in COMMANDS:
        runner_module = command.runner.partition(":")[0]
        assert runner_module in graph, command.runner
        if runner_module != "ztui.cli.main":
            graph["ztui.cli.main"].add(runner_module)
    return graph


def test_no_import_cycles() -> None:
    """No two ztui modules import each other, directly or through others."""
    found = cycles(ztui_graph())
    new = sorted(sorted(cycle) for cycle in found - KNOWN_CYCLES)
    assert not new, f"import cycles: {new}"
    gone = sorted(sorted(cycle) for cycle in KNOWN_CYCLES - found)
    assert not gone, f"no longer cycles, remove them from KNOWN_CYCLES: {gone}"


def test_headless_commands_stay_off_the_app() -> None:
    """The headless commands load neither the TUI nor its launcher, nor the entry point."""
    graph = ztui_graph()
    headless = {m for m in graph if m == "ztui.cli.headless" or m.startswith("ztui.cli.headless.")}
    forbidden = {"ztui.app", "ztui.cli.launch", "ztui.cli.main"}
    reached = {target for module in headless for target in graph[module]} & forbidden
    assert not reached


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        # A deferred import closes a cycle.
        (
            {"a": "import pkg.b\n", "b": "def f():\n    from pkg import a\n"},
            {frozenset({"pkg.a", "pkg.b"})},
        ),
        # An import needed only for type checking does not.
        (
            {
                "a": "import pkg.b\n",
                "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n",
            },
            set(),
        ),
        # Relative imports and `from package import module` resolve to the module.
        (
            {"a": "from . import b\n", "b": "from .c import x\n", "c": "from pkg.a import y\n"},
            {frozenset({"pkg.a", "pkg.b", "pkg.c"})},
        ),
    ],
)
def test_checker_sees_deferred_and_relative_imports(
    tmp_path: Path, sources: dict[str, str], expected: set[frozenset[str]]
) -> None:
    """The checker itself: what counts as an import and what does not."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name, text in sources.items():
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    assert cycles(import_graph(tmp_path, "pkg")) == expected
