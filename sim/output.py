"""Writing the files of a run or a comparison: atomically, and never over an earlier run.

A result's folder is written under a temporary name beside its destination and renamed
into place only when every file is complete, so a crash leaves no half-written results.
Which report (if any) goes into the folder is the caller's choice: pass its writer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from sim.errors import OutputExistsError
from sim.provenance import claim_dir, to_json, write_atomic_dir, write_text_atomic
from sim.scenario import to_toml_dict

if TYPE_CHECKING:
    from sim.runner import RunResult


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


Report = Callable[[Any, Path], Any]


def write_run_files(result: RunResult, folder: Path, report: Report | None = None) -> None:
    """All files of a run into `folder` (which must exist)."""
    (folder / "scenario.resolved.toml").write_text(
        tomli_w.dumps(to_toml_dict(result.scenario)), encoding="utf-8"
    )
    result.daily.to_csv(folder / "daily.csv", index=False, float_format="%.15g")
    if parquet_available():
        result.daily.to_parquet(folder / "daily.parquet", index=False)
    result.kpi_values.to_csv(folder / "kpis_by_replication.csv", float_format="%.15g")
    (folder / "kpis.json").write_text(to_json(result.to_json_dict()), encoding="utf-8")
    if result.ledger is not None:
        result.ledger.to_csv(folder / "ledger.csv", index=False)
    if result.cohorts is not None:
        result.cohorts.to_csv(folder / "cohorts.csv", index=False, float_format="%.15g")
    (folder / "manifest.json").write_text(to_json(result.manifest), encoding="utf-8")
    if report is not None:
        report(result, folder)


def write_compare_files(result, folder: Path, report: Report | None = None) -> None:
    """All files of a comparison into `folder`."""
    result.table().to_csv(folder / "comparison.csv", index=False, float_format="%.15g")
    (folder / "comparison.json").write_text(to_json(result.to_json_dict()), encoding="utf-8")
    result.daily.to_csv(folder / "daily.csv", index=False, float_format="%.15g")
    result.kpi_values.to_csv(folder / "kpis_by_replication.csv", index=False, float_format="%.15g")
    if result.cohorts is not None:
        result.cohorts.to_csv(folder / "cohorts.csv", index=False, float_format="%.15g")
    variants = folder / "variants"
    variants.mkdir()
    for name, spec in result.scenarios.items():
        (variants / f"{name}.resolved.toml").write_text(
            tomli_w.dumps(to_toml_dict(spec)), encoding="utf-8"
        )
    (folder / "manifest.json").write_text(to_json(result.manifest), encoding="utf-8")
    if report is not None:
        report(result, folder)


def save_comparison(result, out: Path | None = None, report: Report | None = None) -> Path:
    """Write a comparison to `out` (default: a new folder under results/runs/)."""
    out = Path(out) if out is not None else claim_dir(f"compare-{result.name}")
    return write_atomic_dir(out, lambda tmp: write_compare_files(result, tmp, report))


def save_run(result: RunResult, out: Path | None = None, report: Report | None = None) -> Path:
    """Write a run's results to `out` (default: a new folder under results/runs/)."""
    out = Path(out) if out is not None else claim_dir(result.scenario.run.name)
    return write_atomic_dir(out, lambda tmp: write_run_files(result, tmp, report))


class ReplicationSink:
    """Each finished replication of a run lands on disk at once, in `<out>.incomplete/`
    (its daily series, KPIs and payouts by level); the folder goes when the whole run is
    saved, and stays, holding every finished replication, if the run dies."""

    def __init__(self, out: Path, scenario: str):
        self.folder = Path(out).with_name(Path(out).name + ".incomplete")
        if self.folder.exists():
            raise OutputExistsError(
                f"{self.folder}: holds the replications of another run to this --out "
                f"(running now, or one that did not finish); move it away or choose "
                f"another --out"
            )
        self.folder.mkdir(parents=True)
        self.count = 0
        write_text_atomic(
            self.folder / "README.txt",
            f"Replications of {scenario} finished so far, one set of files each. This folder "
            f"is removed when the run completes; if it is still here, the run did not.\n",
        )

    def __call__(self, batch) -> None:
        r = int(batch.kpi_values.index[0])
        stem = f"replication-{r:05d}"
        for name, frame, index in (
            ("daily", batch.daily, False),
            ("kpis", batch.kpi_values, True),
            ("payouts_by_level", batch.payouts_by_level, False),
        ):
            write_text_atomic(
                self.folder / f"{stem}-{name}.csv", frame.to_csv(index=index, float_format="%.15g")
            )
        self.count += 1

    def close(self) -> None:
        """The run is saved whole: the per-replication files are no longer needed."""
        shutil.rmtree(self.folder, ignore_errors=True)
