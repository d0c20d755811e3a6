"""Dashboard forms: fields from the schema, and the CLI's validation messages."""

from __future__ import annotations

from sim.dashboard import forms
from sim.dashboard.app import parse_upload
from sim.scenario import load_scenario, read_toml

BASELINE = "scenarios/baseline.toml"


def fields_by_key():
    return {f.key: f for f in forms.editable_fields(load_scenario(BASELINE))}


def test_fields_carry_range_unit_and_doc_from_the_schema():
    fields = fields_by_key()
    rate = fields["payout.direct_commission.rate"]
    assert (rate.minimum, rate.maximum, rate.unit, rate.value) == (0.0, 1.0, "fraction", 0.1)
    assert "Commission" in rate.help and "<= 1.0" in rate.allowed
    assert fields["run.days"].integer and "behavior.share_effort_elasticity" in fields
    assert not any(k.startswith("payout.upline_override") for k in fields)  # rule is off


def test_edits_are_validated_like_the_cli():
    data = read_toml(BASELINE)
    scenario, problems = forms.apply_edits(data, {"payout.direct_commission.rate": 0.12})
    assert problems == [] and scenario.payout.direct_commission.rate == 0.12
    scenario, problems = forms.apply_edits(data, {"payout.direct_commission.rate": 1.5})
    assert scenario is None
    assert [p.key for p in problems] == ["payout.direct_commission.rate"]
    assert "<= 1.0" in forms.problem_text(problems[0])
    field = fields_by_key()["payout.direct_commission.rate"]
    assert forms.parse_number("abc", field)[1].endswith(
        "allowed: a number >= 0.0 and <= 1.0 (fraction)"
    )


def test_rule_switches_turn_rules_on_and_off():
    data = read_toml(BASELINE)
    scenario, _ = forms.apply_edits(
        data, {}, {"referral_bonus": True, "self_purchase_discount": False}
    )
    assert scenario.payout.rule("referral_bonus") is not None
    assert scenario.payout.rule("self_purchase_discount") is None
    keys = {f.key for f in forms.editable_fields(scenario)}
    assert "payout.referral_bonus.referrer_yuan" in keys


def test_an_upload_is_parsed_and_validated_never_executed():
    data, error = parse_upload("ok.toml", b'[run]\nname = "x"\ndays = 30\n')
    assert error == "" and data["run"]["days"] == 30
    _, error = parse_upload("bad.toml", b"[run\n")
    assert error.startswith("bad.toml: TOML syntax error")
    _, error = parse_upload("typo.toml", b"[run]\ndayz = 3\n")
    assert "run.dayz: unknown key" in error and "did you mean 'days'" in error
    _, error = parse_upload("big.toml", b"#" * 2_000_000)
    assert "under 1 MB" in error
