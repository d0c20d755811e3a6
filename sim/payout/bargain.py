"""Bargaining (砍价): parameters. The daily mechanism is `sim.mechanisms.bargaining`."""

from __future__ import annotations

from sim.payout.channel import Channel
from sim.schema_base import Probability, Section, param

CHANNELS = (
    Channel(
        "bargain",
        "the buyer's ties, asked to cut the price",
        "nothing they earn: a click for a friend (the buyer gets the cut)",
        "each helper becomes aware: adoption hazard + awareness_per_help the next day",
        "help_probability (probability), awareness_per_help (per day)",
        "bargaining",
        "a cut of 0 still sends the asks and makes helpers aware: the format acts",
    ),
)


class Bargain(Section):
    """A buyer asks friends to cut the price; each helper cuts a share and learns of it."""

    enabled: bool = param(True, "Run bargains.")
    ask_probability: Probability = param(
        0.3, "Probability that a first order starts a bargain.", "probability"
    )
    help_probability: Probability = param(
        0.3, "Probability that a tie of trust 1 helps (clicks) when asked.", "probability"
    )
    helpers_needed: int = param(5, "Helpers for the full cut.", "people", ge=1, le=1000)
    max_cut_rate: Probability = param(
        0.2,
        "The full cut, share of list price (each helper cuts 1/helpers_needed of it).",
        "fraction",
    )
    awareness_per_help: float = param(
        0.05,
        "Next-day adoption hazard of a helper for the bargained category.",
        "per day",
        ge=0.0,
        le=50.0,
    )

    def describe(self) -> str:
        return f"bargaining up to {self.max_cut_rate:.0%} off with {self.helpers_needed} helpers"
