"""The social-commerce simulator.

Python API::

    import sim
    result = sim.run("scenarios/baseline.toml", replications=5)
    result.daily          # pandas DataFrame: one row per replication and day
    result.kpis           # {kpi: {"mean", "ci95_low", "ci95_high", "values"}}
    sim.compare("scenarios/referral_bonus.toml").table()
    sim.sweep(scenario, grid={"payout.direct_commission.rate": [0.05, 0.1]}, replications=3)
"""

from sim.compare import CompareResult, compare
from sim.market import Market, SocialCommerceModel
from sim.runner import RunResult, run
from sim.scenario import Scenario, load_scenario
from sim.sweep_runner import summarize_sweep, sweep

__all__ = [
    "CompareResult",
    "Market",
    "RunResult",
    "Scenario",
    "SocialCommerceModel",
    "compare",
    "load_scenario",
    "run",
    "summarize_sweep",
    "sweep",
]
__version__ = "0.1.0"
