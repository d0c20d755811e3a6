"""The architecture holds: no import cycles, results flow one way, the day lives in the
mechanisms (not in the model), and every mechanism keeps the protocol."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from tests.conftest import ROOT

PACKAGE = ROOT / "sim"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The sim modules a module imports at run time, in functions too (not TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "sim"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def import_graph(root: Path = ROOT) -> nx.DiGraph:
    """Runtime imports between the modules of the `sim` package found under `root`."""
    files = {module_name(p, root): p for p in (root / "sim").rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        for target in runtime_imports(path, set(files)):
            if target != name and not name.startswith(target + "."):  # a package's own init
                graph.add_edge(name, target)
    return graph


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    return [c for c in nx.simple_cycles(graph) if len(c) > 1]


def test_there_are_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found[:5])


def test_the_cycle_check_finds_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "sim"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from sim.b import g\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sim.c\n"
        "def g():\n    from sim.a import g  # kept apart only by the function\n"
    )
    (package / "c.py").write_text("import sim.b\n")  # b imports c for types only: no cycle
    assert [sorted(c) for c in cycles(import_graph(tmp_path))] == [["sim.a", "sim.b"]]


def test_results_flow_one_way():
    """The engine never imports what reads its results; the output writer imports no report."""
    graph = import_graph()
    engine = [n for n in graph if n.startswith(("sim.mechanisms", "sim.payout"))] + [
        "sim.market",
        "sim.platform",
        "sim.world",
        "sim.scenario",
    ]
    downstream = {"sim.runner", "sim.compare", "sim.sweep_runner", "sim.check", "sim.cli"}
    downstream |= {"sim.report", "sim.compare_report", "sim.output", "sim.experiment"}
    for module in engine:
        reached = nx.descendants(graph, module) & downstream
        assert not reached, f"{module} imports {sorted(reached)}"
    reports = {"sim.report", "sim.compare_report"}
    assert not nx.descendants(graph, "sim.output") & reports


def test_no_function_of_the_day_path_is_longer_than_60_lines():
    """The model holds wiring only; each step of the day stays readable."""
    day_path = [PACKAGE / "market.py", PACKAGE / "platform.py", *PACKAGE.glob("mechanisms/*.py")]
    for path in day_path:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path.name}: {node.name} has {length} lines"


def test_the_model_modules_hold_no_rule():
    """Market and Platform wire mechanisms; no rule arithmetic on consumers lives there."""
    for name in ("market.py", "platform.py"):
        text = (PACKAGE / name).read_text()
        for rule_word in ("expm1", "hazard *", "np.add.at", "uniform("):
            assert rule_word not in text, f"{name} contains {rule_word!r}"
