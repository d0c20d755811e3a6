"""Runs and comparisons started from the dashboard, each in its own worker process.

The page stays responsive because the work happens in a separate process (spawned, so it
shares nothing with the web server); the page polls its progress and can cancel it, which
ends the process and leaves nothing behind: results are written atomically only when the
work is complete (`sim.output`). Every browser tab owns its own jobs.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"


def _work(kind: str, data: dict[str, Any], results_root: str, messages) -> None:
    """Worker process: validate, run or compare with progress messages, save the folder."""
    try:
        from sim.errors import SimError
        from sim.scenario import validate_scenario

        def progress(done: int, total: int) -> None:
            messages.put(("progress", done, total))

        spec = validate_scenario(data, source="dashboard")
        root = Path(results_root)
        if kind == "compare":
            from sim.compare import compare
            from sim.compare_report import write_compare_report
            from sim.output import save_comparison
            from sim.provenance import claim_dir

            result = compare(spec, progress=progress)
            folder = save_comparison(
                result, claim_dir(f"compare-{result.name}", root), report=write_compare_report
            )
        else:
            from sim.output import save_run
            from sim.provenance import claim_dir
            from sim.report import write_report
            from sim.runner import run

            result = run(spec, progress=progress)
            folder = save_run(result, claim_dir(spec.run.name, root), report=write_report)
        messages.put(("done", str(folder)))
    except SimError as exc:  # a user error: its message, never a traceback
        messages.put(("failed", str(exc)))
    except Exception:  # a bug: keep the traceback for the report
        messages.put(("failed", traceback.format_exc()))


@dataclass
class Job:
    """One run or comparison in a worker process."""

    kind: str  # "run" or "compare"
    data: dict[str, Any]
    results_root: Path
    status: str = RUNNING
    done: int = 0
    total: int = 1
    folder: Path | None = None
    error: str = ""
    _process: Any = field(default=None, repr=False)
    _messages: Any = field(default=None, repr=False)
    # the page polls from one thread and cancels from another: one at a time
    _lock: Any = field(default_factory=threading.Lock, repr=False)

    def start(self) -> Job:
        ctx = mp.get_context("spawn")
        self._messages = ctx.Queue()
        self._process = ctx.Process(
            target=_work,
            args=(self.kind, self.data, str(self.results_root), self._messages),
            daemon=True,
        )
        self._process.start()
        return self

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def poll(self) -> str:
        """Take in the worker's messages; return the status."""
        with self._lock:
            return self._poll()

    def _poll(self) -> str:
        if self.status != RUNNING:
            return self.status
        while True:
            try:
                message = self._messages.get_nowait()
            except queue.Empty:
                break
            if message[0] == "progress":
                self.done, self.total = message[1], message[2]
            elif message[0] == "done":
                self.status, self.folder = DONE, Path(message[1])
            else:
                self.status, self.error = FAILED, message[1]
        if self.status == RUNNING and not self._process.is_alive():
            self._process.join()
            try:  # the last message may arrive just after the process ends
                message = self._messages.get(timeout=1.0)
            except queue.Empty:
                message = None
            if message is not None and message[0] == "done":
                self.status, self.folder = DONE, Path(message[1])
            elif message is not None and message[0] == "failed":
                self.status, self.error = FAILED, message[1]
            else:
                self.status = FAILED
                self.error = f"the worker process ended (exit code {self._process.exitcode})"
        if self.status != RUNNING:
            self._process.join(timeout=5)
        return self.status

    def cancel(self) -> None:
        """End the worker now; nothing it was computing is saved."""
        with self._lock:
            if self.status == RUNNING and self._process is not None:
                self._process.terminate()
                self._process.join(timeout=10)
                if self._process.is_alive():
                    self._process.kill()
                    self._process.join()
                self.status = CANCELLED
