"""Net income of micro-merchants by agent tier (docs/micro-merchants.md).

    python experiments/income_by_tier.py [scenario] [variant]

Runs each replication of the variant (default: scenarios/micro_merchant_tiers.toml,
three_tiers) and groups everyone who was a sharer by their tier (recruitment level capped
at the scheme's tiers): agents a run, median and 90th percentile of net income (payouts
and sales from stock - entry fees and stock bought), and the share losing money.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.check import baseline_scenario
from sim.runner import run_replication


def income_by_tier(scenario: Path, variant: str | None) -> pd.DataFrame:
    spec = baseline_scenario(scenario, {}, variant)
    rows = []
    for replication in range(spec.run.replications):
        model = run_replication(spec, replication)
        c, ledger, scheme = model.consumers, model.ledger, model.platform.scheme
        who = np.flatnonzero(c.was_sharer)
        net = (ledger.received_fen[who] + ledger.sales_fen[who] - ledger.dues_fen[who]) / 100
        rows.append(pd.DataFrame({"tier": scheme.stock_tier(c.sharer_level[who]), "net": net}))
        model.release()
    table = pd.concat(rows)
    return table.groupby("tier")["net"].agg(
        agents_per_run=lambda x: x.size / spec.run.replications,
        median_net_yuan="median",
        p90_net_yuan=lambda x: x.quantile(0.9),
        losing_share=lambda x: (x < 0).mean(),
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    scenario = Path(args[0]) if args else Path("scenarios/micro_merchant_tiers.toml")
    variant = args[1] if len(args) > 1 else ("three_tiers" if not args else None)
    print(income_by_tier(scenario, variant).round(3).to_string())
