"""The shape of the code (SPEC §2), checked from the imports themselves.

The import graph of ``core``, ``slack``, ``ui`` and ``integrations`` is read from the source
(every import that runs: at module level and inside functions; ``if TYPE_CHECKING`` blocks are
left out, they never run). It must have no cycle, and the layers must point one way: ``core``
knows neither ``slack`` nor ``ui``; ``ui`` does not know ``slack``; ``integrations`` knows
none of them. Inside ``slack`` no function imports project code to dodge a cycle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "slack", "ui", "integrations")
# Where a function-level import is the point: the app's start-up walk, and the plugin loader.
LATE_IMPORTS_ALLOWED = {"slack.apps"}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, in_function: bool = False):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _imports(node, inside)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The project modules ``name`` imports (``from a import b`` names ``a.b`` when a module)."""
    found = []
    for node, in_function in _imports(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                package = name.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        for target in targets:
            if target in modules and target != name:
                found.append(Import(name, target, node.lineno, in_function))
    return found


def import_graph() -> list[Import]:
    modules = project_modules()
    return [edge for name, path in modules.items() for edge in imports_of(name, path, modules)]


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.imported)
        graph.setdefault(edge.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_graph_is_read_at_all():
    edges = import_graph()
    pairs = {(edge.importer, edge.imported) for edge in edges}
    # A few imports known to exist, so an empty graph (a broken reader) cannot pass.
    assert ("slack.incoming.views", "slack.incoming.dispatch") in pairs
    assert ("ui.views", "core.selectors") in pairs
    assert len(edges) > 150


def test_no_import_cycle_among_core_slack_ui():
    assert cycles(import_graph()) == []


def test_the_layers_point_one_way():
    forbidden = {
        "core": {"slack", "ui", "integrations"},
        "ui": {"slack", "integrations"},
        "integrations": {"core", "slack", "ui"},
    }
    wrong = [
        f"{edge.importer}:{edge.line} imports {edge.imported}"
        for edge in import_graph()
        if top(edge.imported) in forbidden.get(top(edge.importer), set())
    ]
    assert wrong == []


def test_no_function_imports_project_code_in_slack():
    late = [
        f"{edge.importer}:{edge.line} imports {edge.imported} inside a function"
        for edge in import_graph()
        if edge.in_function
        and top(edge.importer) == "slack"
        and edge.importer not in LATE_IMPORTS_ALLOWED
    ]
    assert late == []


def test_the_cycle_finder_finds_a_cycle():
    edges = [
        Import("a", "b", 1, False),
        Import("b", "c", 1, True),
        Import("c", "a", 1, False),
        Import("c", "d", 1, False),
    ]
    assert cycles(edges) == [["a", "b", "c"]]


WRITES = {"create", "update", "update_or_create", "get_or_create", "bulk_update", "bulk_create"}
# The delivery machinery's own bookkeeping, and the workflows' configuration service.
WRITERS_BESIDES_SERVICES = {
    "slack.incoming.dedup",
    "slack.delivery.failed_attempts",
    "slack.delivery.housekeeping",
    "slack.workflows.config",
    "slack.workflows.keycheck",
}


def _writes(tree: ast.AST):
    """``X.objects….create(…)``-style calls and ``.save()`` / ``.delete()`` calls."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        on_a_manager = method in WRITES and "objects" in ast.unparse(node.func.value)
        if method in ("save", "delete") or on_a_manager:
            yield node.lineno, method


def test_slack_side_state_is_written_only_by_services():
    wrong = [
        f"{name}:{line} {method}()"
        for name, path in project_modules().items()
        if top(name) == "slack"
        and not name.endswith(".services")
        and name not in WRITERS_BESIDES_SERVICES
        and not name.endswith(".admin")
        for line, method in _writes(ast.parse(path.read_text()))
    ]
    assert wrong == []
