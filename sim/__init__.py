"""The social-commerce simulator.

Python API::

    import sim
    result = sim.run("scenarios/baseline.toml", replications=5)
    result.daily          # pandas DataFrame: one row per replication and day
    result.kpis           # {kpi: {"mean", "ci95_low", "ci95_high", "values"}}
    sim.compare("scenarios/referral_bonus.toml").table()
    sim.sweep(scenario, grid={"payout.direct_commission.rate": [0.05, 0.1]}, replications=3)
    robust, folder = sim.compare_robust("scenarios/decisions/referral_commission_team.toml",
                                        "scenarios/decisions/referral_commission_team.uncertainty.toml")
    best, folder = sim.optimize("scenarios/decisions/referral_commission_team.optimize.toml")
"""

from sim.compare import CompareResult, compare
from sim.market import Market, SocialCommerceModel
from sim.optimizer import OptimizeResult, optimize
from sim.robust import RobustResult, compare_robust
from sim.runner import RunResult, run
from sim.scenario import Scenario, load_scenario
from sim.sweep_runner import Execution, summarize_sweep, sweep

__all__ = [
    "CompareResult",
    "Execution",
    "Market",
    "OptimizeResult",
    "RobustResult",
    "RunResult",
    "Scenario",
    "SocialCommerceModel",
    "compare",
    "compare_robust",
    "load_scenario",
    "optimize",
    "run",
    "summarize_sweep",
    "sweep",
]
__version__ = "0.1.0"
