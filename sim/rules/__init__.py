"""The daily rules, one module each, applied in this order every day:

1. `exposure`   - sharers share; ads, word of mouth and shares reach consumers;
2. `purchase`   - first purchases by category, and who gets the credit;
3. `repurchase` - customers reorder when a category's interval is up;
4. `sim.payout.settle` - orders are settled: payments, discounts, payouts in the ledger;
5. `sharers`    - customers who see rewards become sharers; low earners quit;
6. `experience` - some orders are bad experiences;
7. `churn`      - customers lapse, more so the longer since their last order.

Each rule is a plain function over numpy arrays; `sim.model` wires them together.
"""
