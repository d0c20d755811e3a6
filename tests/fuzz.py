"""A seeded mutation fuzzer over the shipped scenarios (used by tests/test_fuzz.py).

Each mutant is a shipped scenario with one to three mutations: a key deleted, renamed or
added; a value replaced by one of another type or an extreme (huge, negative, non-finite,
a 5,000-digit integer, a long string, a table nested hundreds deep, an empty table or list).
`python tests/fuzz.py 2000` runs a campaign and prints what it found.
"""

from __future__ import annotations

import copy
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.files import scenario_files

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = scenario_files(ROOT / "scenarios")


def nested(depth: int) -> dict:
    out: dict = {"x": 1}
    for _ in range(depth):
        out = {"a": out}
    return out


EXTREMES: list[Any] = [
    0,
    -1,
    1,
    2,
    10**40,
    -(10**40),
    1e308,
    -1e308,
    5e-324,
    math.inf,
    -math.inf,
    math.nan,
    0.5,
    1.5,
    "",
    "x" * 5000,
    "../../../../escaped",
    "NA",
    True,
    False,
    [],
    [1, 2, 3],
    [{}],
    {},
    {"preset": "platform"},
    "platform",
    "weishang",
    1e20,
    1e16,
    10**9,
    50_000_000,
]


def paths(data: Any) -> list[tuple]:
    """Key paths of a TOML mapping (list items by index), down to 8 levels."""
    out, stack = [], [(data, ())]
    while stack:
        node, prefix = stack.pop()
        if len(prefix) >= 8 or not isinstance(node, dict | list):
            continue
        for k, v in node.items() if isinstance(node, dict) else enumerate(node):
            out.append((*prefix, k))
            stack.append((v, (*prefix, k)))
    return sorted(out, key=str)


def get_parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def mutate(data: dict, rng: np.random.Generator) -> dict:
    data = copy.deepcopy(data)  # the shipped scenarios: shallow enough to copy
    for _ in range(int(rng.integers(1, 4))):
        keys = paths(data)
        if not keys:
            break
        path = keys[int(rng.integers(len(keys)))]
        parent = get_parent(data, path)
        last = path[-1]
        kind = rng.integers(8)
        if kind == 0:  # delete
            del parent[last]
        elif kind == 1 and isinstance(parent, dict):  # rename
            parent[f"{last}_typo"] = parent.pop(last)
        elif kind == 2 and isinstance(parent, dict):  # add an unknown key
            parent["surprise"] = EXTREMES[int(rng.integers(len(EXTREMES)))]
        elif kind == 3:
            parent[last] = nested(int(rng.choice([3, 50, 500])))
        elif kind == 4:
            parent[last] = 10**5000 if rng.random() < 0.5 else "y" * 5000
        elif (
            kind >= 6
            and isinstance(parent[last], int | float)
            and not isinstance(parent[last], bool)
            and abs(parent[last]) < 1e30
        ):  # a plausible-looking number far out of scale
            scale = 10 ** int(rng.integers(1, 8))
            parent[last] = parent[last] * scale if rng.random() < 0.7 else parent[last] / scale
        else:
            parent[last] = copy.deepcopy(EXTREMES[int(rng.integers(len(EXTREMES)))])
    return data


def to_toml(data: dict) -> str | None:
    import tomli_w

    try:
        return tomli_w.dumps(data)
    except (TypeError, ValueError, RecursionError):
        return None


@dataclass
class Findings:
    mutants: int = 0
    validated: int = 0
    ran: int = 0
    tracebacks: list[str] = field(default_factory=list)
    without_allowed: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


def campaign(n: int, seed: int, folder: Path, run_valid: bool = True) -> Findings:
    """Validate n mutants with `sim validate` (in process); run the valid ones briefly."""
    import contextlib
    import io

    from sim.cli import main

    rng = np.random.Generator(np.random.PCG64(seed))
    sources = [(p, tomllib.loads(p.read_text())) for p in SHIPPED]
    found = Findings()
    for i in range(n):
        source, data = sources[int(rng.integers(len(sources)))]
        text = to_toml(mutate(data, rng))
        if text is None:
            continue
        path = folder / f"mutant-{i}.toml"
        path.write_text(text)
        if "edge_list" in text:  # keep relative edge lists resolvable
            edges = ROOT / "tests" / "data" / "soc-sign-bitcoinotc.csv"
            path.write_text(text.replace("../tests/data/soc-sign-bitcoinotc.csv", str(edges)))
        found.mutants += 1
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["validate", str(path)])
        except BaseException as exc:
            import traceback

            where = traceback.extract_tb(exc.__traceback__)[-1]
            found.tracebacks.append(
                f"{source.name} #{i}: {type(exc).__name__}: {exc!s:.150} "
                f"(at {Path(where.filename).name}:{where.lineno})"
            )
            continue
        if code == 2:
            blocks = re.split(r"\n  (?=\S)", err.getvalue())[1:]
            if not blocks or any("allowed:" not in b for b in blocks):
                found.without_allowed.append(f"{source.name} #{i}: {err.getvalue()[:300]}")
            continue
        found.validated += 1
        if run_valid:
            short = [
                "run",
                str(path),
                "--days",
                "3",
                "--replications",
                "1",
                "--no-progress",
                "--no-report",
                "--out",
                str(folder / f"out-{i}"),
            ]
            try:
                with (
                    contextlib.redirect_stderr(io.StringIO()),
                    contextlib.redirect_stdout(io.StringIO()),
                ):
                    code = main(short)
            except BaseException as exc:
                found.crashes.append(f"{source.name} #{i}: {type(exc).__name__}: {exc!s:.200}")
                continue
            found.ran += code == 0
    return found


if __name__ == "__main__":
    import tempfile

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        f = campaign(n, seed=int(sys.argv[2]) if len(sys.argv) > 2 else 1, folder=Path(tmp))
    print(f"{f.mutants} mutants, {f.validated} validated, {f.ran} ran")
    for name, items in (
        ("tracebacks", f.tracebacks),
        ("no allowed line", f.without_allowed),
        ("crashes", f.crashes),
    ):
        print(f"{name}: {len(items)}")
        for item in items[:15]:
            print("  ", item)
