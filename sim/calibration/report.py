"""The calibration's files: posterior samples, the calibrated scenario, the fit report in
the style of customer-base analysis (observed against simulated, with bands, on the
calibration and the holdout period) and its figures."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tomli_w

from sim.calibration.summaries import MAX_REPEATS
from sim.provenance import to_json, write_file_atomic, write_text_atomic
from sim.scenario import apply_overrides, to_toml_dict, validate_scenario

if TYPE_CHECKING:
    from sim.calibration.fit import Calibration, CalibrationResult

BAND = (0.05, 0.95)


def write_calibration_files(result: CalibrationResult, cal: Calibration, folder: Path) -> None:
    """posterior.csv, particles.csv, generations.csv, predictive.csv, calibrated.toml,
    fit.json, the figures and report.md, each atomically."""
    folder = Path(folder)
    csv = {"index": False, "float_format": "%.10g"}
    write_text_atomic(folder / "posterior.csv", result.posterior.to_csv(**csv))
    write_text_atomic(folder / "particles.csv", result.particles.to_csv(**csv))
    write_text_atomic(folder / "generations.csv", result.generations.to_csv(**csv))
    write_text_atomic(folder / "predictive.csv", result.predictive.to_csv(**csv))
    write_text_atomic(folder / "calibrated.toml", calibrated_toml(result, cal))
    write_text_atomic(folder / "fit.json", to_json(fit_dict(result)))
    write_file_atomic(folder / "cumulative_repeats.png", lambda p: cumulative_figure(result, p))
    write_file_atomic(folder / "holdout_by_frequency.png", lambda p: conditional_figure(result, p))
    write_file_atomic(folder / "repeats_histogram.png", lambda p: histogram_figure(result, p))
    write_file_atomic(folder / "posterior.png", lambda p: posterior_figure(result, p))
    write_text_atomic(folder / "report.md", report_markdown(result))


def calibrated_toml(result: CalibrationResult, cal: Calibration) -> str:
    """The base scenario with every fitted key at its posterior median, all keys written."""
    point = {r.key: float(r.median) for r in result.estimates.itertuples()}
    base = cal.spec.model_dump(mode="python", exclude={"variants"})
    spec = validate_scenario(apply_overrides(base, point))
    header = (
        f"# Calibrated by `sim calibrate {cal.path}` ({result.name}): the fitted keys at their\n"
        f"# posterior medians; posterior.csv beside this file holds the uncertainty.\n"
        + "".join(f"#   {k} = {v:.6g}\n" for k, v in point.items())
    )
    return header + tomli_w.dumps(to_toml_dict(spec))


def weekly_bands(result: CalibrationResult) -> pd.DataFrame:
    """Per week: observed cumulative repeats and the predictive runs' mean and band."""
    weekly = result.observed.weekly
    cols = [f"curve.cumulative_repeats_w{int(w)}" for w in weekly["week"]]
    sims = result.predictive.reindex(columns=cols).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "week": weekly["week"],
            "observed": weekly["cumulative_repeats"],
            "simulated_mean": np.nanmean(sims, axis=0),
            "simulated_q05": np.nanquantile(sims, BAND[0], axis=0),
            "simulated_q95": np.nanquantile(sims, BAND[1], axis=0),
            "holdout": weekly["holdout"],
        }
    )


def fit_dict(result: CalibrationResult) -> dict[str, Any]:
    bands = weekly_bands(result)
    cal = bands[~bands["holdout"]]
    last = cal.iloc[-1] if len(cal) else None
    return {
        "name": result.name,
        "stopped_by": result.stopped_by,
        "simulations": result.simulations,
        "estimates": result.estimates.to_dict("records"),
        "holdout": result.holdout(),
        "calibration_cumulative_repeats": None
        if last is None
        else {"observed": float(last["observed"]), "simulated_mean": float(last["simulated_mean"])},
        "customers": {
            "observed": result.observed.customers,
            "simulated_mean": float(result.predictive["curve.customers"].mean()),
        },
        "yardstick": result.yardstick,
        "generations": result.generations.to_dict("records"),
    }


def cumulative_figure(result: CalibrationResult, path: Path) -> None:
    bands = weekly_bands(result)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    ax.fill_between(
        bands["week"],
        bands["simulated_q05"],
        bands["simulated_q95"],
        color="tab:blue",
        alpha=0.25,
        label="simulated, 90% of runs",
    )
    ax.plot(
        bands["week"], bands["simulated_mean"], color="tab:blue", lw=1.2, label="simulated mean"
    )
    ax.plot(bands["week"], bands["observed"], color="k", lw=1.5, label="observed")
    y = result.yardstick
    if y is not None:  # from the calibration end (which may fall inside a week)
        p = result.periods
        start = float(result.observed.weekly["calibration_repeats"].sum())
        weeks = p.calibration_days / 7.0 + np.asarray(y["holdout_weeks"])
        ax.plot(
            weeks,
            start + np.asarray(y["holdout_cumulative"]),
            color="tab:orange",
            ls="--",
            lw=1.2,
            label="BG/NBD forecast",
        )
    cal_weeks = int((~bands["holdout"]).sum())
    ax.axvline(cal_weeks + 0.5, color="grey", ls=":", lw=1)
    ax.text(cal_weeks + 1, ax.get_ylim()[1] * 0.05, "holdout", color="grey", fontsize=8)
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat transactions")
    ax.set_title("Cumulative repeat transactions: calibration and holdout", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def by_repeats_frame(result: CalibrationResult, curve: str, observed: pd.Series) -> pd.DataFrame:
    """Per number of calibration repeats (0 .. MAX_REPEATS+): the observed value and the
    predictive runs' mean and 90% band of the `curve.<curve>_<k>` columns."""
    ks = range(MAX_REPEATS + 1)
    sims = result.predictive.reindex(columns=[f"curve.{curve}_{k}" for k in ks])
    sims = sims.to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no run had a customer with k repeats
        return pd.DataFrame(
            {
                "calibration_repeats": [f"{k}+" if k == MAX_REPEATS else str(k) for k in ks],
                "observed": observed.reindex(ks).to_numpy(),
                "simulated_mean": np.nanmean(sims, axis=0),
                "simulated_q05": np.nanquantile(sims, BAND[0], axis=0),
                "simulated_q95": np.nanquantile(sims, BAND[1], axis=0),
            }
        )


def conditional_frame(result: CalibrationResult) -> pd.DataFrame:
    """Mean holdout repeats by calibration repeats: observed, simulated (mean and band over
    the predictive runs) and BG/NBD."""
    frame = by_repeats_frame(result, "holdout_by_frequency", result.observed.holdout_by_frequency())
    frame.insert(1, "customers", result.observed.repeats_histogram.to_numpy())
    if result.yardstick is not None:
        by = result.yardstick["holdout_by_frequency"]
        frame["bgnbd"] = [by.get(k, np.nan) for k in range(MAX_REPEATS + 1)]
    return frame


def conditional_figure(result: CalibrationResult, path: Path) -> None:
    f = conditional_frame(result)
    x = np.arange(len(f))
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    ax.fill_between(
        x,
        f["simulated_q05"],
        f["simulated_q95"],
        color="tab:blue",
        alpha=0.25,
        label="simulated, 90%",
    )
    ax.plot(x, f["simulated_mean"], "o-", color="tab:blue", ms=4, label="simulated mean")
    ax.plot(x, f["observed"], "s-", color="k", ms=4, label="observed")
    if "bgnbd" in f:
        ax.plot(x, f["bgnbd"], "^--", color="tab:orange", ms=4, label="BG/NBD")
    ax.set_xticks(x, f["calibration_repeats"])
    ax.set_xlabel("repeat transactions in the calibration period")
    ax.set_ylabel("mean repeat transactions in the holdout")
    ax.set_title("Calibration vs holdout purchases (conditional expectations)", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def histogram_frame(result: CalibrationResult) -> pd.DataFrame:
    return by_repeats_frame(result, "repeats_histogram", result.observed.repeats_histogram)


def histogram_figure(result: CalibrationResult, path: Path) -> None:
    f = histogram_frame(result)
    x = np.arange(len(f))
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    ax.bar(x - 0.2, f["observed"], width=0.4, color="0.3", label="observed")
    err = np.vstack(
        [f["simulated_mean"] - f["simulated_q05"], f["simulated_q95"] - f["simulated_mean"]]
    )
    ax.bar(x + 0.2, f["simulated_mean"], width=0.4, color="tab:blue", label="simulated (90% bar)")
    ax.errorbar(x + 0.2, f["simulated_mean"], yerr=np.maximum(err, 0), fmt="none", color="k", lw=1)
    ax.set_xticks(x, f["calibration_repeats"])
    ax.set_xlabel("repeat transactions in the calibration period")
    ax.set_ylabel("customers")
    ax.set_title("Customers by repeat transactions (calibration period)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def posterior_figure(result: CalibrationResult, path: Path) -> None:
    params = result.parameters
    cols = min(3, len(params))
    rows = int(np.ceil(len(params) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), dpi=110, squeeze=False)
    w = result.particles["weight"].to_numpy()
    for ax, p in zip(axes.flat, params, strict=False):
        values = result.particles[p.key].to_numpy()
        bins = (
            np.geomspace(p.low, p.high, 30) if p.scale == "log" else np.linspace(p.low, p.high, 30)
        )
        ax.hist(values, bins=bins, weights=w, color="tab:blue", alpha=0.7)
        if p.scale == "log":
            ax.set_xscale("log")
        if p.true is not None:
            ax.axvline(p.true, color="k", ls="--", lw=1)
        ax.set_title(p.key.split(".")[-1], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(params) :]:
        ax.axis("off")
    fig.suptitle("Posterior (final particles, over the prior range)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def table(frame: pd.DataFrame, digits: int = 3) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:,.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"
        return "" if v is None else str(v)

    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "".join(
        "| " + " | ".join(cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False)
    )


def report_markdown(result: CalibrationResult) -> str:
    h = result.holdout()
    p = result.periods
    est = result.estimates.copy()
    est["90% interval"] = [
        f"{a:.4g} .. {b:.4g}" for a, b in zip(est["q05"], est["q95"], strict=True)
    ]
    est["prior"] = [
        f"{a:.4g} .. {b:.4g} ({s})"
        for a, b, s in zip(est["low"], est["high"], est["scale"], strict=True)
    ]
    shown = est[["key", "median", "90% interval", "prior"]]
    if est["true"].notna().any():
        shown = shown.assign(true=est["true"])
    lines = [
        f"# Calibration: {result.name}",
        "",
        f"Calibration period {p.start.date()} .. {p.calibration_end.date()} (customers whose "
        f"first order falls by {p.acquisition_end.date()}: {result.observed.customers:,}); "
        f"holdout {(p.calibration_end + pd.Timedelta(days=1)).date()} .. {p.end.date()}.",
        "",
        f"**{result.sentence()}**",
        "",
        f"Fit: APMC, {result.simulations:,} simulations of the calibration period in "
        f"{len(result.generations)} generations, stopped by {result.stopped_by}; then "
        f"{len(result.predictive)} posterior samples run over both periods (the bands: 90% "
        f"of those runs, parameter uncertainty and the model's own randomness together).",
        "",
        "## Estimates",
        "",
        table(shown),
        "`posterior.csv` holds equally weighted posterior samples (one column per key): pass "
        "it as `posterior` in an uncertainty file to carry this uncertainty into "
        "`sim compare --uncertainty`. `calibrated.toml` is the base scenario at the medians.",
        "",
        "## Holdout",
        "",
        table(
            pd.DataFrame(
                [
                    {
                        "forecast": "simulator (posterior predictive mean)",
                        "holdout repeats": h["simulated_mean"],
                        "error": f"{h['simulated_error']:+.1%}",
                    },
                    {
                        "forecast": f"simulator per customer x the log's {result.observed.customers:,} "
                        f"(runs acquire {h['simulated_customers_mean']:,.0f} on average)",
                        "holdout repeats": h["per_customer_scaled"],
                        "error": f"{h['per_customer_error']:+.1%}",
                    },
                ]
                + (
                    [
                        {
                            "forecast": "BG/NBD ("
                            + ", ".join(
                                f"{k} {v:.3g}" for k, v in result.yardstick["parameters"].items()
                            )
                            + ")",
                            "holdout repeats": h["bgnbd"],
                            "error": f"{h['bgnbd_error']:+.1%}",
                        }
                    ]
                    if "bgnbd" in h
                    else []
                )
                + [{"forecast": "observed", "holdout repeats": h["observed"], "error": ""}]
            )
        ),
        "![cumulative repeat transactions](cumulative_repeats.png)",
        "",
        "## Calibration vs holdout purchases",
        "",
        table(conditional_frame(result)),
        "![conditional expectations](holdout_by_frequency.png)",
        "",
        "## Repeat transactions per customer (calibration period)",
        "",
        table(histogram_frame(result)),
        "![histogram](repeats_histogram.png)",
        "",
        "## Posterior",
        "",
        "![posterior](posterior.png)",
        "",
        "## Generations",
        "",
        table(result.generations),
    ]
    return "\n".join(lines) + "\n"
