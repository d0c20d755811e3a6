"""Benchmarks measure the `sim` of the tree they are in, not whichever one is installed.

The project is installed in editable mode, which points `import sim` at one tree. A
benchmark run from a git worktree of another commit would measure that tree instead,
while labelling its figures with the worktree's commit. Importing this module first puts
its own tree at the front of the path, for this process and, through `PYTHONPATH`, for
every process it starts (fresh measurement processes, forkserver workers).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)


def measured_tree() -> Path:
    """Where the `sim` being measured comes from; it must be this tree's."""
    import sim

    where = Path(sim.__file__).resolve().parent
    if not where.is_relative_to(ROOT):
        raise SystemExit(f"measuring the sim in {where}, not this tree's ({ROOT})")
    return where
