"""The social-commerce simulator.

Python API::

    import sim
    result = sim.run("scenarios/baseline.toml", replications=5)
    result.daily          # pandas DataFrame: one row per replication and day
    result.kpis           # {kpi: {"mean", "ci95_low", "ci95_high", "values"}}
"""

from sim.compare import CompareResult, compare
from sim.model import SocialCommerceModel
from sim.runner import RunResult, run
from sim.scenario import Scenario, load_scenario

__all__ = [
    "CompareResult",
    "RunResult",
    "Scenario",
    "SocialCommerceModel",
    "compare",
    "load_scenario",
    "run",
]
__version__ = "0.1.0"
