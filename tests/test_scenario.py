"""The scenario schema: defaults, validation and every class of bad input."""

from __future__ import annotations

import json

import pytest

from sim.errors import ScenarioError
from sim.files import scenario_files
from sim.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    parse_override,
    to_toml_dict,
    validate_scenario,
)
from tests.conftest import ROOT


def problems_of(data: dict) -> list:
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data, source="s.toml")
    return info.value.problems


def keys_of(data: dict) -> set[str]:
    return {p.key for p in problems_of(data)}


def test_defaults_form_a_valid_scenario():
    s = Scenario()
    assert s.population.consumers == 20000
    assert len(s.categories) >= 1


@pytest.mark.parametrize("path", scenario_files(ROOT / "scenarios"))
def test_shipped_scenarios_are_valid(path):
    load_scenario(path)


def test_fixed_key_paths_exist():
    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert (s.run.name, s.run.days, s.population.consumers) == ("baseline", 365, 20000)
    assert isinstance(s.run.seed, int) and isinstance(s.run.replications, int)


def test_every_parameter_has_description_and_default():
    def walk(model, prefix=""):
        for name, info in model.model_fields.items():
            assert info.description, f"{prefix}{name} has no description"
            yield f"{prefix}{name}", info

    from sim.scenario import BehaviorSection, NetworkSection, PayoutSection, RunSection

    for section in (RunSection, NetworkSection, BehaviorSection, PayoutSection):
        for key, info in walk(section):
            assert not info.is_required(), f"{key} must have a default"


def test_out_of_range_probability_names_key_and_range():
    (p,) = problems_of({"behavior": {"churn_base_hazard_per_day": 1.5}})
    assert p.key == "behavior.churn_base_hazard_per_day"
    assert "1.5" in p.message and "<= 1" in p.allowed


def test_negative_price_is_rejected():
    cat = {"name": "a", "price_yuan": -2, "margin": 0.2, "repurchase_interval_days": 7}
    (p,) = problems_of({"categories": [cat]})
    assert p.key == "categories[0].price_yuan" and "> 0" in p.allowed


def test_wrong_type():
    (p,) = problems_of({"run": {"replications": "ten"}})
    assert p.key == "run.replications" and "integer" in p.allowed


def test_unknown_key_gets_did_you_mean():
    (p,) = problems_of({"run": {"dayz": 3}})
    assert p.key == "run.dayz" and p.did_you_mean() == "days"
    (p,) = problems_of({"behaviour": {}})
    assert p.did_you_mean() == "behavior"


def test_unknown_literal_lists_allowed_values():
    (p,) = problems_of({"network": {"mixing": "random"}})
    assert "'network'" in p.allowed and "'uniform'" in p.allowed


def test_commission_above_margin_is_a_contradiction():
    cat = {"name": "a", "price_yuan": 10, "margin": 0.05, "repurchase_interval_days": 7}
    problems = problems_of(
        {
            "categories": [cat],
            "payout": {"direct_commission": {"rate": 0.1}, "self_purchase_discount": {"rate": 0}},
        }
    )
    assert [p.key for p in problems] == ["payout.direct_commission.rate"]
    assert "margin" in problems[0].message


def test_agent_tiers_may_not_price_stock_above_the_list_price():
    stock = {"wholesale_discount_rate": 0.3, "tiers": 4, "tier_markup_rate": 0.15}
    (p,) = problems_of({"payout": {"stock": stock}})
    assert p.key == "payout.stock.tier_markup_rate"
    assert "115% of the list price" in p.message and "wholesale_discount_rate" in p.allowed
    stock["tier_markup_rate"] = 0.1  # the lowest tier pays exactly the list price
    validate_scenario({"payout": {"stock": stock}}, source="s.toml")


def test_more_neighborhoods_than_consumers():
    assert "population.neighborhoods" in keys_of(
        {"population": {"consumers": 10, "neighborhoods": [{"count": 20}]}}
    )


def test_unknown_category_in_commission_overrides():
    (p,) = problems_of({"payout": {"direct_commission": {"by_category": {"beuaty": 0.1}}}})
    assert p.key == "payout.direct_commission.by_category.beuaty"
    assert p.did_you_mean() == "beauty"


def test_duplicate_category_names():
    cat = {"name": "a", "price_yuan": 10, "margin": 0.3, "repurchase_interval_days": 7}
    assert "categories[1].name" in keys_of({"categories": [cat, cat]})


def test_all_field_errors_reported_at_once():
    keys = keys_of(
        {
            "run": {"dayz": 1, "replications": 0},
            "behavior": {"churn_base_hazard_per_day": 2, "share_rate_per_day": -1},
        }
    )
    assert keys == {
        "run.dayz",
        "run.replications",
        "behavior.churn_base_hazard_per_day",
        "behavior.share_rate_per_day",
    }


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert "nope.toml" in str(info.value) and "file not found" in str(info.value)


def test_toml_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[run]\nname = "x"\ndays = = 3\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert "bad.toml" in text and "line 3" in text and "column" in text


def test_missing_edge_list_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        validate_scenario({"network": {"edge_list": "missing.csv"}}, base_dir=tmp_path)
    assert info.value.problems[0].key == "network.edge_list"


def test_overrides_parse_toml_values():
    assert parse_override("run.days=90") == ("run.days", 90)
    assert parse_override("run.name=abc") == ("run.name", "abc")
    assert parse_override("payout.direct_commission.rate = 0.05") == (
        "payout.direct_commission.rate",
        0.05,
    )
    data = apply_overrides(
        {"run": {"days": 3}, "categories": [{"margin": 0.1}]},
        {"run.days": 9, "categories.0.margin": 0.2, "payout.x": 1},
    )
    assert data == {"run": {"days": 9}, "categories": [{"margin": 0.2}], "payout": {"x": 1}}


def test_resolved_scenario_round_trips():
    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    again = validate_scenario(to_toml_dict(s))
    assert again == s


def test_json_schema_is_complete():
    schema = Scenario.model_json_schema()
    json.dumps(schema)
    assert "run" in schema["properties"]
    behavior = schema["$defs"]["BehaviorSection"]["properties"]
    assert behavior["churn_base_hazard_per_day"]["maximum"] == 1.0
    assert behavior["churn_base_hazard_per_day"]["unit"] == "per day"


def test_contradictions_are_reported_with_field_errors():
    keys = keys_of(
        {"run": {"days": 0}, "population": {"consumers": 5, "neighborhoods": [{"count": 9}]}}
    )
    assert keys == {"run.days", "population.neighborhoods", "network.friend_ties_per_consumer"}


def test_contradictions_in_an_invalid_section_are_not_guessed():
    cat = {"name": "a", "price_yuan": -1, "margin": 0.01, "repurchase_interval_days": 7}
    # categories is invalid, so its margin is not checked against the commission
    assert keys_of({"categories": [cat]}) == {"categories[0].price_yuan"}


HOSTILE = {
    "tables nested 500 deep": "x = " + "{a = " * 500 + "1" + "}" * 500 + "\n",
    "a 5,000-digit integer": "[run]\nseed = " + "9" * 5000 + "\n",
    "a preset that is a table": "[payout.preset]\nname = 'platform'\n",
    "a 5,000-character path": "[network]\nedge_list = '" + "p" * 5000 + ".csv'\n",
    "a 200 kB string": "[run]\ndescription = 3\nname = '" + "n" * 200_000 + "'\n",
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_files_get_a_message_not_a_traceback(tmp_path, capsys, case):
    from sim.cli import main

    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE[case])
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "allowed:" in err and "Traceback" not in err
    assert len(err) < 5000  # long values are cut, never echoed whole


@pytest.mark.parametrize(
    "override, expected",
    [
        ("population.neighborhoods.7.count=3", "an index from 0 to 2"),
        ("population.neighborhoods.x.count=3", "'x' is not an item"),
        ("run.days.x=3", "'days' is not a table"),
    ],
)
def test_bad_set_paths_are_clear_errors(capsys, override, expected):
    from sim.cli import main

    assert main(["validate", str(ROOT / "scenarios" / "baseline.toml"), "--set", override]) == 2
    assert expected in capsys.readouterr().err
