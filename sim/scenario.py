"""The scenario schema: the single source of truth for every model parameter.

Each parameter is declared once here, with its type, default, unit, allowed range and a
one-line description. Validation (`load_scenario`), the JSON Schema (`sim schema`) and the
scenario reference in `docs/scenario-reference.md` (`sim docs`) are all derived from it.

Money in scenario files is in yuan; the model keeps it in integer fen (1/100 yuan) so that
the ledger balances to the cent.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, create_model, field_validator

from sim.catalog import kpi_names
from sim.economics import EconomicsSection
from sim.errors import Problem, ScenarioError, problems_from_validation_error, short_text
from sim.mechanisms.community_groups import CommunityGroupSection
from sim.mechanisms.fulfillment import FulfillmentSection
from sim.mechanisms.kols import KOLSection
from sim.payout.scheme import PayoutSection, expand_preset
from sim.schema_base import Probability, Section, param

CityTier = Literal["tier1", "tier2", "tier3", "county", "town", "village"]


class RunSection(Section):
    """What to run: name, seed, horizon and replications."""

    name: str = param(
        "scenario",
        "Name of the scenario; used in reports and as the default output folder name.",
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    )
    description: str = param("", "Free text shown at the top of the report.")
    seed: int = param(20260101, "Root seed: decides every random draw of every replication.", ge=0)
    days: int = param(365, "Simulated horizon; one model step is one day.", "days", ge=1, le=3650)
    replications: int = param(
        10, "Independent replications (each with its own network and draws).", ge=1, le=10000
    )
    ledger: Literal["totals", "entries"] = param(
        "totals",
        "'totals' keeps per-day totals by type and per-consumer running sums; "
        "'entries' also keeps every ledger entry (small runs only).",
    )


class NeighborhoodGroup(Section):
    """A group of neighborhoods sharing a city tier."""

    count: int = param(40, "Number of neighborhoods in this group.", ge=1)
    city_tier: CityTier = param("county", "City tier of these neighborhoods.")
    weight: float = param(
        1.0, "Relative share of consumers living in this group's neighborhoods.", gt=0.0
    )
    elderly_share: Probability = param(
        0.19, "Share of consumers aged 60 or more (China 2020 census: 18.7%).", "fraction"
    )


class OnlineReadiness(Section):
    """Probability that a consumer can and does buy online, by city tier.

    Defaults: 610 M online shoppers of 1,395 M people in Dec 2018 (44% nationally), with
    e-commerce penetration above 50% in tier-1 cities and under 10% in counties and towns.
    """

    tier1: Probability = param(0.80, "Online readiness in tier-1 cities.", "probability")
    tier2: Probability = param(0.65, "Online readiness in tier-2 cities.", "probability")
    tier3: Probability = param(0.50, "Online readiness in tier-3 cities.", "probability")
    county: Probability = param(0.35, "Online readiness in counties.", "probability")
    town: Probability = param(0.25, "Online readiness in towns.", "probability")
    village: Probability = param(0.15, "Online readiness in villages.", "probability")
    elderly_factor: Probability = param(
        0.35,
        "An elderly consumer's readiness relative to a younger neighbor's (the tier "
        "values stay the neighborhood averages).",
        "fraction",
    )


class PopulationSection(Section):
    """Who lives where."""

    consumers: int = param(20000, "Number of consumers.", "people", ge=2, le=50_000_000)
    household_size_mean: float = param(
        2.6, "Mean household size (China 2020 census: 2.62).", "people", ge=1.0, le=8.0
    )
    neighborhoods: list[NeighborhoodGroup] = param(
        [NeighborhoodGroup()],
        "Groups of neighborhoods, each with a count, a city tier and a relative size.",
        min_length=1,
    )
    online_readiness: OnlineReadiness = param(OnlineReadiness(), "Online readiness by city tier.")


class NetworkSection(Section):
    """The trust network: generated from households, neighbors and friends, or loaded."""

    mixing: Literal["network", "uniform"] = param(
        "network",
        "'network': influence flows along trust ties; 'uniform': every customer "
        "influences every consumer equally (the classic Bass model).",
    )
    neighbor_ties_per_consumer: float = param(
        4.0, "Mean number of neighbor ties inside a consumer's neighborhood.", "ties", ge=0.0
    )
    friend_ties_per_consumer: int = param(
        6,
        "Friend/colleague ties per consumer on the small-world ring (even number).",
        "ties",
        ge=0,
        le=200,
    )
    friend_rewiring_probability: Probability = param(
        0.1,
        "Watts-Strogatz rewiring probability of friend ties (small-world shortcuts).",
        "probability",
    )
    edge_list: str | None = param(
        None,
        "CSV edge list 'source,target,weight' of a real network (path relative to the "
        "scenario file); replaces the generator. A header row is optional.",
    )
    directed: bool = param(
        False,
        "Edge list only: if true, 'source trusts target' (influence flows target to source); "
        "if false ties are mutual.",
    )
    weight_scale: float = param(
        1.0, "Edge list only: weights are divided by this (e.g. 10 for ratings -10..10).", gt=0.0
    )
    negative_ties: Literal["drop", "distrust"] = param(
        "drop",
        "Edge list only: 'drop' ignores negative weights; 'distrust' keeps them, so word of "
        "mouth from a distrusted tie lowers the adoption hazard.",
    )

    @field_validator("friend_ties_per_consumer")
    @classmethod
    def _even_friend_ties(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be an even number (ring lattice)")
        return value


class GroupLeaderSection(Section):
    """Neighborhood group leaders (团长): they run group buys and a pickup point, and order
    for neighbors who cannot buy online."""

    per_neighborhood: int = param(
        0, "Group leaders in each neighborhood (0: none).", "leaders", ge=0, le=100
    )
    trust: Probability = param(
        0.5,
        "Trust of a neighborhood's consumers in their leader (the leader is tied to "
        "everyone in the neighborhood).",
        "weight 0..1",
    )
    proxy_purchase: bool = param(True, "Leaders take orders for neighbors who cannot buy online.")
    presale: bool = param(
        False,
        "Community group buying (社区团购): the platform sells only through the leaders' "
        "pickup points; a neighborhood's consumers order while it has a leader, until the "
        "evening cutoff, and pick up the next day (with fulfillment, mode 'pickup').",
    )
    capacity_orders_per_day: int = param(
        200,
        "Orders a leader's pickup point handles well in a day; above it, service "
        "failures grow with the load.",
        "orders per day",
        ge=1,
        le=1_000_000,
    )
    service_failure_probability: Probability = param(
        0.02,
        "Mean chance that an order goes badly at a pickup point within capacity (missing, "
        "wrong or spoiled item); each leader's own chance is drawn around it.",
        "per order",
    )


class Category(Section):
    """A product category sold on the platform."""

    name: str = param(..., "Category name (unique).", min_length=1, max_length=40)
    price_yuan: float = param(..., "List price of one order.", "yuan", gt=0.0, le=100_000.0)
    margin: Probability = param(
        ..., "Gross margin: share of the list price left after cost of goods.", "fraction"
    )
    repurchase_interval_days: float = param(
        ..., "Mean days between a customer's orders in this category.", "days", ge=1.0
    )
    share_appeal: float = param(
        1.0, "How shareable the category is: multiplies the sharers' share rate.", ge=0.0
    )
    hype_half_life_days: float | None = param(
        None,
        "If set, demand (first purchases and repurchases) halves every this many days.",
        "days",
        gt=0.0,
    )


def default_categories() -> list[Category]:
    return [
        Category(name="fresh_produce", price_yuan=30.0, margin=0.18, repurchase_interval_days=7),
        Category(name="daily_goods", price_yuan=45.0, margin=0.25, repurchase_interval_days=21),
        Category(
            name="mother_baby",
            price_yuan=150.0,
            margin=0.30,
            repurchase_interval_days=45,
            share_appeal=0.8,
        ),
        Category(name="beauty", price_yuan=120.0, margin=0.45, repurchase_interval_days=60),
    ]


class TrustWeights(Section):
    """Tie strength by tie type: how persuasive a recommendation over that tie is."""

    household: Probability = param(1.0, "Trust in a household member.", "weight 0..1")
    friend: Probability = param(0.6, "Trust in a friend or colleague.", "weight 0..1")
    neighbor: Probability = param(0.35, "Trust in a neighbor.", "weight 0..1")


class WorldBehavior(Section):
    """Tie strength: how persuasive a recommendation over each kind of tie is."""

    trust_weights: TrustWeights = param(TrustWeights(), "Tie strength by tie type.")


def behavior_section() -> type[Section]:
    """`[behavior]`: the world's tie strengths and the behaviour parameters every mechanism
    declares in its own module (`Mechanism.params`), in the order of the registry."""
    from sim.mechanisms import REGISTRY

    bases = [WorldBehavior, *(cls.params for cls in REGISTRY if cls.params is not None)]
    return create_model(
        "BehaviorSection",
        __base__=tuple(reversed(bases)),
        __doc__="How consumers hear, buy, share, repurchase and lapse.",
        __module__=__name__,
    )


BehaviorSection = behavior_section()


class PlatformSection(Section):
    """The platform entering the market."""

    name: str = param("platform", "Platform name.", min_length=1)
    start_day: int = param(0, "Day the platform enters the market.", "day", ge=0)
    ad_spend_yuan_per_day: float | None = param(
        None,
        "Spend on ads: drives the external influence through a saturating response curve "
        "(`behavior.ad_response_max_per_day`) and enters CAC. Default: 15 yuan a day per "
        "1,000 consumers (300 a day for 20,000).",
        "yuan per day",
        ge=0,
    )


class Variant(BaseModel):
    """A variant for `sim compare`: a name and overrides of the base scenario.

    Every key besides `name` and `description` is merged into the base scenario: tables
    merge key by key, lists and values replace. A variant that sets `payout.preset` replaces
    the base's whole payout scheme.
    """

    model_config = ConfigDict(extra="allow")

    name: str = param(
        ..., "Variant name.", min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
    )
    description: str = param("", "One line shown in the comparison report.")

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class RivalSection(BaseModel):
    """A rival platform on the same population and network: a name and overrides of the base
    scenario (its own payout scheme, categories, platform start day and ad spend, behavior
    toward it...). Tables merge key by key; a `payout.preset` replaces the whole scheme."""

    model_config = ConfigDict(extra="allow")

    name: str = param(
        ...,
        "Rival platform name.",
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    )

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CompareSection(Section):
    """How `sim compare` judges the variants."""

    objective: str = param(
        "contribution_margin", "The KPI a variant must improve to win (see docs/kpis.md)."
    )
    replications: int | Literal["auto"] | None = param(
        None, "Replications per variant: a number, 'auto', or none to use run.replications."
    )
    target_relative_half_width: float = param(
        0.02,
        "With 'auto': add replications until every paired difference of the objective has a "
        "95% CI half-width below this share of the baseline's mean.",
        "fraction",
        gt=0.0,
    )
    max_replications: int = param(
        100, "With 'auto': the most replications per variant.", ge=2, le=10000
    )

    @field_validator("objective")
    @classmethod
    def _known_kpi(cls, value: str) -> str:
        known = kpi_names()
        if value not in known:
            raise ValueError(f"unknown KPI {value!r}; one of: " + ", ".join(known))
        return value


class CheckSection(Section):
    """How `sim check` judges this scenario's regression baseline."""

    relative_tolerance: dict[str, float] = param(
        {},
        "Per KPI, a relative tolerance that statistical mode allows on top of the "
        "baseline's own spread, e.g. { gmv = 0.02 }.",
        "fraction",
    )

    @field_validator("relative_tolerance")
    @classmethod
    def _known_kpis(cls, value: dict[str, float]) -> dict[str, float]:
        known = kpi_names()
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown KPI(s) {', '.join(unknown)}; one of: " + ", ".join(known))
        if any(v < 0 for v in value.values()):
            raise ValueError("tolerances must be >= 0")
        return value


class Scenario(Section):
    """A complete scenario: one file, validated as a whole."""

    run: RunSection = param(RunSection(), "What to run.")
    population: PopulationSection = param(PopulationSection(), "Who lives where.")
    network: NetworkSection = param(NetworkSection(), "The trust network.")
    categories: list[Category] = param(
        default_categories(), "Product categories sold.", min_length=1, max_length=64
    )
    behavior: BehaviorSection = param(BehaviorSection(), "Consumer and sharer behavior.")
    platform: PlatformSection = param(PlatformSection(), "The platform.")
    payout: PayoutSection = param(PayoutSection(), "The payout scheme.")
    fulfillment: FulfillmentSection = param(FulfillmentSection(), "Delivery of orders.")
    group_leaders: GroupLeaderSection = param(GroupLeaderSection(), "Neighborhood group leaders.")
    kols: list[KOLSection] = param([], "KOLs the platform works with.")
    rivals: list[RivalSection] = param([], "Rival platforms on the same network.")
    community_groups: CommunityGroupSection = param(
        CommunityGroupSection(), "Community groups (社群)."
    )
    variants: list[Variant] = param([], "Variants for `sim compare`; the first is the baseline.")
    compare: CompareSection = param(CompareSection(), "How `sim compare` judges variants.")
    check: CheckSection = param(CheckSection(), "How `sim check` judges regressions.")
    economics: EconomicsSection = param(
        EconomicsSection(), "How cash, NPV and fixed costs are counted."
    )

    @property
    def category_names(self) -> list[str]:
        return [c.name for c in self.categories]


def cross_field_problems(scenario: Scenario) -> list[tuple[frozenset[str], Problem]]:
    """Contradictions between fields that a per-field check cannot see.

    Each problem comes with the top-level sections it depends on, so that it can be left out
    when one of those sections is itself invalid (and was replaced by its defaults).
    """
    found: list[tuple[frozenset[str], Problem]] = []

    def add(sections: str, key: str, message: str, allowed: str, **extra: Any) -> None:
        found.append((frozenset(sections.split()), Problem(key, message, allowed, **extra)))

    names = scenario.category_names
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            add(
                "categories",
                f"categories[{i}].name",
                f"duplicate category name {name!r}",
                "each category needs its own name",
            )
        seen.add(name)
    pay = scenario.payout
    direct = pay.rule("direct_commission")

    def known(key: str, name: str) -> None:
        if name not in seen:
            add(
                "categories payout",
                key,
                f"unknown category {name!r}",
                "one of the category names: " + ", ".join(names),
                hint=name,
                candidates=names,
            )

    for name in pay.direct_commission.by_category if pay.direct_commission else {}:
        known(f"payout.direct_commission.by_category.{name}", name)
    for i, name in enumerate(pay.group_buy.categories if pay.group_buy else []):
        known(f"payout.group_buy.categories[{i}]", name)
    if pay.stock is not None and pay.stock.category is not None:
        known("payout.stock.category", pay.stock.category)
    stock = pay.rule("stock")
    if stock is not None and stock.unit_price_share(stock.tiers) > 1.0 + 1e-12:
        add(
            "payout",
            "payout.stock.tier_markup_rate",
            f"{stock.tier_markup_rate:g} over {stock.tiers} tiers makes the lowest tier pay "
            f"{stock.unit_price_share(stock.tiers):.0%} of the list price for stock "
            f"(wholesale_discount_rate {stock.wholesale_discount_rate:g})",
            "(tiers - 1) x tier_markup_rate no larger than wholesale_discount_rate, so that "
            "no tier pays more than the list price",
        )
    if pay.gift_pack is not None and pay.gift_pack.category is not None:
        known("payout.gift_pack.category", pay.gift_pack.category)
    if pay.gift is not None and pay.gift.category is not None:
        known("payout.gift.category", pay.gift.category)
    for i, kol in enumerate(scenario.kols):
        if kol.category is not None and kol.category not in seen:
            add(
                "categories kols",
                f"kols[{i}].category",
                f"unknown category {kol.category!r}",
                "one of the category names: " + ", ".join(names),
                hint=kol.category,
                candidates=names,
            )
    own = pay.rule("self_purchase_discount")
    overrides = sum(pay.upline_override.rates) if pay.rule("upline_override") else 0.0
    lead = pay.rule("leader_commission")
    leader_rate = lead.rate if lead else 0.0
    for i, cat in enumerate(scenario.categories):
        rate = direct.rate_for(cat.name) if direct else 0.0
        if rate + overrides + leader_rate > cat.margin:
            overridden = direct is not None and cat.name in direct.by_category
            key = (
                f"payout.direct_commission.by_category.{cat.name}"
                if overridden
                else "payout.direct_commission.rate"
            )
            if leader_rate and not rate:
                key = "payout.leader_commission.rate"  # the leaders' share alone is too high
            add(
                "categories payout",
                key,
                f"commission {rate:g}"
                + (f" plus upline overrides {overrides:g}" if overrides else "")
                + (f" plus leader commission {leader_rate:g}" if leader_rate else "")
                + f" is above the margin {cat.margin:g} of category {cat.name!r} "
                f"(categories[{i}].margin)",
                "total commission per sale no larger than the category's margin",
            )
        if own is not None and own.rate > cat.margin:
            add(
                "categories payout",
                "payout.self_purchase_discount.rate",
                f"discount {own.rate:g} is above the margin {cat.margin:g} of category "
                f"{cat.name!r} (categories[{i}].margin)",
                "a discount no larger than every category's margin",
            )
    leaders = scenario.group_leaders
    if lead is not None and not leaders.presale:
        add(
            "payout group_leaders",
            "payout.leader_commission",
            "pays leaders on their pickup point's sales"
            + (f" (preset {pay.preset!r} sets it)" if pay.preset == "community_group_buy" else "")
            + ", but group_leaders.presale is false (no pickup points)",
            "group_leaders.presale = true (with per_neighborhood of 1 or more), or no "
            "[payout.leader_commission]",
        )
    if leaders.presale and leaders.per_neighborhood == 0:
        add(
            "group_leaders",
            "group_leaders.presale",
            "sells only through leaders' pickup points, but group_leaders.per_neighborhood is 0",
            "group_leaders.per_neighborhood of 1 or more, or presale = false",
        )
    if leaders.presale and scenario.fulfillment.enabled and scenario.fulfillment.mode != "pickup":
        add(
            "group_leaders fulfillment",
            "fulfillment.mode",
            f"is {scenario.fulfillment.mode!r}, but group_leaders.presale delivers to pickup points",
            "'pickup' with group_leaders.presale = true",
        )
    pop = scenario.population
    total_neighborhoods = sum(g.count for g in pop.neighborhoods)
    if total_neighborhoods > pop.consumers:
        add(
            "population",
            "population.neighborhoods",
            f"{total_neighborhoods} neighborhoods for {pop.consumers} consumers",
            "at most one neighborhood per consumer",
        )
    groups = scenario.community_groups
    if groups.count > pop.consumers:
        add(
            "population community_groups",
            "community_groups.count",
            f"{groups.count:,} groups for {pop.consumers:,} consumers",
            "at most one group per consumer",
        )
    net = scenario.network
    if net.edge_list is None and net.neighbor_ties_per_consumer >= pop.consumers:
        add(
            "population network",
            "network.neighbor_ties_per_consumer",
            f"{net.neighbor_ties_per_consumer:g} neighbor ties for {pop.consumers} consumers",
            "fewer neighbor ties than consumers",
        )
    if net.edge_list is None and net.friend_ties_per_consumer >= pop.consumers:
        add(
            "population network",
            "network.friend_ties_per_consumer",
            f"{net.friend_ties_per_consumer} friend ties for {pop.consumers} consumers",
            "fewer friend ties than consumers",
        )
    return found


MAX_NESTING = 32  # levels of tables and lists; the schema itself needs five


def nesting_problem(data: Any) -> Problem | None:
    """A Problem if tables or lists nest deeper than MAX_NESTING (checked without recursion)."""
    stack = [(data, "", 0)]
    while stack:
        node, key, depth = stack.pop()
        if depth > MAX_NESTING:
            return Problem(
                key,
                f"tables or lists nested more than {MAX_NESTING} levels deep",
                f"at most {MAX_NESTING} levels (the scenario schema uses five)",
            )
        if isinstance(node, dict):
            stack += [(v, f"{key}.{k}" if key else str(k), depth + 1) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, f"{key}[{i}]", depth + 1) for i, v in enumerate(node)]
    return None


def validate_scenario(
    data: dict[str, Any], source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario mapping; raise ScenarioError listing every problem at once.

    Field problems and cross-field contradictions are reported together: when some
    sections are invalid, the contradictions among the valid sections are still checked.
    """
    problems: list[Problem] = []
    invalid: set[str] = set()
    deep = nesting_problem(data)
    if deep is not None:
        raise ScenarioError(source, [deep])
    if isinstance(data.get("payout"), dict):
        data = {**data, "payout": expand_preset(data["payout"])}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation_error(exc, Scenario)
        invalid = {p.key.split(".")[0].split("[")[0] for p in problems}
        valid_part = {k: v for k, v in data.items() if k not in invalid}
        try:
            scenario = Scenario.model_validate(valid_part)
        except ValidationError:
            raise ScenarioError(source, problems) from None
    problems += [p for sections, p in cross_field_problems(scenario) if not sections & invalid]
    net = scenario.network
    if "network" not in invalid and net.edge_list is not None:
        path = resolve_path(net.edge_list, base_dir)
        try:
            found = path.is_file()
        except OSError as exc:  # e.g. a name too long for the file system
            found, why = False, exc.strerror
        else:
            why = "file not found"
        if not found:
            problems.append(
                Problem(
                    "network.edge_list",
                    f"{why}: {short_text(str(path), 120)}",
                    "a path to a CSV edge list, relative to the scenario file",
                )
            )
        else:
            net.edge_list = str(path)
    if "variants" not in invalid:
        problems += variant_problems(scenario, base_dir)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def merge_variant(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Base scenario mapping with a variant's overrides (tables merge, the rest replaces)."""
    import copy

    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if key == "payout" and isinstance(value, dict) and "preset" in value:
            out[key] = copy.deepcopy(value)  # a new preset is a new scheme
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_variant(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def variant_scenarios(
    scenario: Scenario, base_dir: Path | None = None
) -> list[tuple[Variant, Scenario]]:
    """Each variant as a full scenario (without variants of its own)."""
    base = scenario.model_dump(mode="python", exclude={"variants"})
    return [
        (v, validate_scenario(merge_variant(base, v.overrides), f"variant {v.name}", base_dir))
        for v in scenario.variants
    ]


def variant_problems(scenario: Scenario, base_dir: Path | None) -> list[Problem]:
    """Problems of every variant and every rival, with keys under variants[i] / rivals[i]."""
    return [
        *override_problems(scenario.variants, "variants", scenario, base_dir, ("variants",)),
        *override_problems(
            scenario.rivals,
            "rivals",
            scenario,
            base_dir,
            ("variants", "rivals", "run", "population", "network"),
        ),
    ]


# `[behavior]` keys of the whole market, read from the base scenario by every platform.
MARKET_BEHAVIOR = (
    "multi_homing",
    "wallet_price_sensitivity",
    "wallet_binding_weight",
    "wallet_bad_experience_weight",
)


def override_problems(
    items, field: str, scenario: Scenario, base_dir: Path | None, forbidden: tuple[str, ...]
) -> list[Problem]:
    problems: list[Problem] = []
    names = [item.name for item in items]
    base = scenario.model_dump(mode="python", exclude={"variants", "rivals"})
    for i, item in enumerate(items):
        if item.name in names[:i]:
            problems.append(
                Problem(
                    f"{field}[{i}].name",
                    f"duplicate name {item.name!r}",
                    f"each of the {field} needs its own name",
                )
            )
        bad = [key for key in forbidden if key in item.overrides]
        if bad:
            problems.append(
                Problem(
                    f"{field}[{i}].{bad[0]}",
                    f"{field} cannot override {bad[0]!r}",
                    "overrides of the base scenario"
                    + (
                        "; rivals share the base's run, population and network"
                        if field == "rivals"
                        else ""
                    ),
                )
            )
            continue
        behavior = item.overrides.get("behavior")
        market_keys = [k for k in MARKET_BEHAVIOR if isinstance(behavior, dict) and k in behavior]
        if field == "rivals" and market_keys:
            problems.append(
                Problem(
                    f"{field}[{i}].behavior.{market_keys[0]}",
                    f"rivals cannot set {market_keys[0]}: it is how consumers treat the whole "
                    "market",
                    f"behavior.{market_keys[0]} in the base scenario only",
                )
            )
            continue
        try:
            validate_scenario(merge_variant(base, item.overrides), base_dir=base_dir)
        except ScenarioError as exc:
            for p in exc.problems:
                p.key = f"{field}[{i}].{p.key}" if p.key else f"{field}[{i}]"
                problems.append(p)
    return problems


def rival_scenarios(scenario: Scenario) -> list[Scenario]:
    """Each rival platform as a full scenario on the base's population and network."""
    base = scenario.model_dump(mode="python", exclude={"variants", "rivals"})
    out = []
    for rival in scenario.rivals:
        spec = validate_scenario(merge_variant(base, rival.overrides), f"rival {rival.name}")
        spec.platform.name = rival.name
        out.append(spec)
    return out


def resolve_path(value: str, base_dir: Path | None) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; missing files and syntax errors become ScenarioErrors."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(str(path), [Problem("", "file not found", "a path to a TOML file")])
    if path.is_dir():
        raise ScenarioError(str(path), [Problem("", "is a directory", "a path to a TOML file")])
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            str(path), [Problem("", f"TOML syntax error: {exc}", "valid TOML (https://toml.io)")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            str(path), [Problem("", f"not UTF-8 text: {exc}", "a UTF-8 file")]
        ) from None
    except (RecursionError, ValueError) as exc:  # nesting or a number too long to read
        raise ScenarioError(
            str(path), [Problem("", f"cannot be read: {short_text(str(exc))}", "valid TOML")]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            str(path), [Problem("", f"cannot be read: {exc.strerror}", "a readable TOML file")]
        ) from None
    deep = nesting_problem(data)
    if deep is not None:
        raise ScenarioError(str(path), [deep])
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """Parse 'key.path=value'; the value is read as a TOML value, else as a string."""
    if "=" not in text:
        raise ScenarioError(
            "--set", [Problem(text, "missing '='", "key.path=value, e.g. run.days=90")]
        )
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a scenario mapping with dotted-path overrides applied."""
    import copy

    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ScenarioError(
                        "--set",
                        [
                            Problem(
                                dotted,
                                f"{part!r} is not an item of {'.'.join(parts[:i])}",
                                f"an index from 0 to {len(node) - 1}" if node else "no items",
                            )
                        ],
                    )
                part = int(part)
            elif not isinstance(node, dict):
                raise ScenarioError(
                    "--set",
                    [Problem(dotted, f"{parts[i - 1]!r} is not a table", "a key inside a table")],
                )
            if last:
                node[part] = value
            else:
                if isinstance(node, dict):
                    if node.get(part) is None:  # an absent or switched-off rule: a new table
                        node[part] = {}
                    node = node[part]
                else:
                    node = node[part]
    return out


def probe_values(base: dict[str, Any], probes: list[tuple[str, str, Any]]) -> list[Problem]:
    """Problems of setting each (label, key, value) alone on a scenario mapping (e.g. both
    ends of a searched or fitted range), each named by its label, key and value."""
    problems: list[Problem] = []
    for label, key, value in probes:
        try:
            validate_scenario(apply_overrides(base, {key: value}))
        except ScenarioError as exc:
            problems += [
                Problem(f"{label} {key} = {value!r}: {q.key}", q.message, q.allowed)
                for q in exc.problems
            ]
    return problems


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file."""
    path = Path(path)
    data = read_toml(path)
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_scenario(data, source=str(path), base_dir=path.parent)


def coerce_scenario(
    scenario: Scenario | dict | str | Path, overrides: dict[str, Any] | None = None
) -> Scenario:
    """Accept a Scenario, a mapping or a path; apply overrides; return a validated Scenario."""
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        data = scenario.model_dump(mode="python")
        return validate_scenario(apply_overrides(data, overrides), source=scenario.run.name)
    if isinstance(scenario, dict):
        data = apply_overrides(scenario, overrides or {})
        return validate_scenario(data, source="<dict>")
    return load_scenario(scenario, overrides)


def to_toml_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario with every default filled in, as a TOML-writable mapping (None dropped)."""

    def drop_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop_none(v) for v in value]
        return value

    return drop_none(scenario.model_dump(mode="json"))
