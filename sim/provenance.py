"""Provenance: where a result came from, and writing it so that nothing is ever lost.

One place for the scenario hash (what `sim check` compares), the package and platform
versions, the manifest every result folder carries (runs, comparisons, sweeps, baselines),
and the atomic, never-overwriting writes of files and folders.
"""

from __future__ import annotations

import errno
import hashlib
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
from typing import Any

import numpy as np

from sim.errors import OutputExistsError
from sim.scenario import Scenario
from sim.threads import threads

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


def manifest(
    spec: Scenario, started: datetime, wall_seconds: float | None = None
) -> dict[str, Any]:
    """What a result folder records of its origin (wall_seconds None: not finished yet)."""
    return {
        "package": PACKAGE,
        "version": package_version(),
        "git_commit": git_commit(),
        "versions": versions(),
        "platform": platform.platform(),
        "scenario": spec.run.name,
        "scenario_hash": scenario_hash(spec),
        "seed_entropy": spec.run.seed,
        "replications": spec.run.replications,
        "days": spec.run.days,
        "consumers": spec.population.consumers,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
        "threads": threads(),  # a run's large passes split among them (not its numbers)
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def umask() -> int:
    """This process's umask, read from /proc where the kernel shows it (no change to the
    process, which other threads might notice), else by setting it and setting it back."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def follow_umask(path: Path) -> None:
    """Give a folder tree (or one file) the modes a plain mkdir/open would have had:
    temporary files and folders are created private (0600/0700) whatever the umask."""
    mask = umask()
    path = Path(path)
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for p in paths:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)


def fsync_path(path: Path) -> None:
    """Flush one file or one folder's entries to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file of a folder, and the folder itself, to the disk."""
    path = Path(path)
    for p in [*path.rglob("*"), path]:
        fsync_path(p)


def safe_name(name: str) -> str:
    """A name usable as one folder name: no separators, no leading dots."""
    cleaned = "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in name)
    return cleaned.lstrip(".") or "results"


def claim_dir(name: str, root: Path = Path("results") / "runs") -> Path:
    """A new, empty folder `root/<name>-<UTC time>[-k]`, created atomically: two processes
    starting in the same second get two folders (mkdir fails for the second)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"{safe_name(name)}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    k = 1
    while True:
        candidate = root / (stem if k == 1 else f"{stem}-{k}")
        try:
            os.mkdir(candidate)
        except FileExistsError:
            k += 1
            continue
        return candidate


def check_out_dir(out: Path) -> None:
    """Refuse to write into an existing, non-empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(
            f"{out}: already exists and holds earlier results; choose another --out "
            f"(or omit it for a new time-stamped folder under results/runs/)"
        )


def write_atomic_dir(out: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a fresh temporary folder, then rename it to `out` (missing or
    empty). If another process filled `out` meanwhile, the results go to a new sibling
    folder instead: nothing is ever lost or overwritten. Returns where they went."""
    out = Path(out)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    try:
        write(tmp)
        follow_umask(tmp)
        fsync_tree(tmp)
        try:
            os.replace(tmp, out)  # onto a missing or empty folder: atomic
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise
            out = claim_dir(out.name, out.parent)
            os.replace(tmp, out)
        fsync_path(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove temporary result folders and files left by processes that were killed (their
    process id is in the name and no longer runs); return what was removed."""
    removed = []
    for tmp in Path(folder).glob(".*.tmp-*-*"):
        pid = tmp.name.rsplit(".tmp-", 1)[-1].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_text_atomic(path: Path, text: str) -> None:
    """Write one file through a temporary file, an fsync and a rename."""
    write_file_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_file_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call write(tmp) on a temporary file beside `path` (e.g. a figure's savefig), fsync
    it and rename it to `path`: readers see the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.tmp-{os.getpid()}-", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    try:
        write(Path(tmp))
        fsync_path(Path(tmp))
        follow_umask(Path(tmp))
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


def scenario_hash(spec: Scenario) -> str:
    """Hash of the resolved scenario (every default filled in), independent of key order."""
    data = spec.model_dump(mode="json", exclude={"variants"})
    edge_list = data["network"].get("edge_list")
    if edge_list:  # the file's content, not where it lies on this machine
        data["network"]["edge_list"] = hashlib.sha256(Path(edge_list).read_bytes()).hexdigest()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def environment() -> dict[str, str]:
    """What exact reproduction depends on."""
    v = versions()
    return {
        "machine": platform.machine(),
        "python": v["python"],
        "numpy": v["numpy"],
        "scipy": v["scipy"],
        "pandas": v["pandas"],
        "mesa": v["mesa"],
        "sim": package_version(),
    }


def resumable_folder(
    out: str | Path | None,
    default_name: str,
    identity: dict[str, Any],
    what: str,
    resume: bool,
    identity_file: str = "identity.json",
) -> Path:
    """The folder of a long job that can be resumed: a new one (`out`, or a fresh folder
    under results/runs/ named after `default_name`) that must hold nothing yet, or, with
    `resume`, one whose identity file (what the job was started with: inputs, hashes)
    matches `identity`. The identity is written before any work."""
    from sim.errors import SimError

    if resume and out is None:
        raise SimError(f"--resume needs --out: the folder of the {what} to finish")
    folder = Path(out) if out is not None else claim_dir(default_name)
    record = folder / identity_file
    if resume and not record.exists():
        raise SimError(f"{folder}: holds no {what} to resume (no {identity_file})")
    if not resume and folder.exists() and any(folder.iterdir()):
        raise SimError(
            f"{folder}: already holds results; pass --resume to finish the {what} there, "
            f"or choose another --out"
        )
    text = to_json(identity)
    if resume and record.read_text() != text:
        raise SimError(
            f"{folder}: was started with other inputs (a changed file, scenario or --set); "
            f"this {what} cannot be resumed with these"
        )
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(record, text)
    return folder
