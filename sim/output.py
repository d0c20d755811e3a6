"""Writing results: atomically, and never over an earlier run.

A run's folder is written under a temporary name beside its destination and renamed into
place only when every file is complete, so a crash leaves no half-written results.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import tomli_w

from sim.errors import OutputExistsError
from sim.scenario import Scenario, to_toml_dict

if TYPE_CHECKING:
    from sim.runner import RunResult

PACKAGE = "social-commerce-sim"


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """The commit of the source tree the package runs from, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "sim": package_version()}
    for dist in ("numpy", "scipy", "pandas", "mesa", "simpy", "pydantic", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def manifest(spec: Scenario, started: datetime, wall_seconds: float) -> dict[str, Any]:
    return {
        "package": PACKAGE,
        "version": package_version(),
        "git_commit": git_commit(),
        "versions": versions(),
        "platform": platform.platform(),
        "scenario": spec.run.name,
        "seed_entropy": spec.run.seed,
        "replications": spec.run.replications,
        "days": spec.run.days,
        "consumers": spec.population.consumers,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def default_out_dir(name: str, root: Path = Path("results") / "runs") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate = root / f"{name}-{stamp}"
    k = 2
    while candidate.exists():
        candidate = root / f"{name}-{stamp}-{k}"
        k += 1
    return candidate


def check_out_dir(out: Path) -> None:
    """Refuse to write into an existing, non-empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(
            f"{out}: already exists and holds earlier results; choose another --out "
            f"(or omit it for a new time-stamped folder under results/runs/)"
        )


def write_atomic_dir(out: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a fresh temporary folder, then rename it to `out`."""
    out = Path(out)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        write(tmp)
        if out.exists():  # an empty folder we may replace
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_text_atomic(path: Path, text: str) -> None:
    """Write one file through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default, allow_nan=False) + "\n"


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write_run_files(result: RunResult, folder: Path, report: bool = True) -> None:
    """All files of a run into `folder` (which must exist)."""
    (folder / "scenario.resolved.toml").write_text(
        tomli_w.dumps(to_toml_dict(result.scenario)), encoding="utf-8"
    )
    result.daily.to_csv(folder / "daily.csv", index=False, float_format="%.10g")
    if parquet_available():
        result.daily.to_parquet(folder / "daily.parquet", index=False)
    result.kpi_values.to_csv(folder / "kpis_by_replication.csv", float_format="%.10g")
    (folder / "kpis.json").write_text(to_json(result.to_json_dict()), encoding="utf-8")
    if result.ledger is not None:
        result.ledger.to_csv(folder / "ledger.csv", index=False)
    (folder / "manifest.json").write_text(to_json(result.manifest), encoding="utf-8")
    if report:
        from sim.report import write_report

        write_report(result, folder)


def write_compare_files(result, folder: Path, report: bool = True) -> None:
    """All files of a comparison into `folder`."""
    result.table().to_csv(folder / "comparison.csv", index=False, float_format="%.10g")
    (folder / "comparison.json").write_text(to_json(result.to_json_dict()), encoding="utf-8")
    result.daily.to_csv(folder / "daily.csv", index=False, float_format="%.10g")
    result.kpi_values.to_csv(folder / "kpis_by_replication.csv", index=False, float_format="%.10g")
    variants = folder / "variants"
    variants.mkdir()
    for name, spec in result.scenarios.items():
        (variants / f"{name}.resolved.toml").write_text(
            tomli_w.dumps(to_toml_dict(spec)), encoding="utf-8"
        )
    (folder / "manifest.json").write_text(to_json(result.manifest), encoding="utf-8")
    if report:
        from sim.compare_report import write_compare_report

        write_compare_report(result, folder)


def save_comparison(result, out: Path | None = None, report: bool = True) -> Path:
    """Write a comparison to `out` (default: a new folder under results/runs/)."""
    out = Path(out) if out is not None else default_out_dir(f"compare-{result.name}")
    return write_atomic_dir(out, lambda tmp: write_compare_files(result, tmp, report))


def save_run(result: RunResult, out: Path | None = None, report: bool = True) -> Path:
    """Write a run's results to `out` (default: a new folder under results/runs/)."""
    out = Path(out) if out is not None else default_out_dir(result.scenario.run.name)
    return write_atomic_dir(out, lambda tmp: write_run_files(result, tmp, report))
