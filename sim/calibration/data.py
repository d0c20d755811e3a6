"""A platform's own data, read and checked before any work: the orders log, and optionally
referral (or binding) edges and the sharer roster. CSV or Parquet.

Orders log, one row per order:

| column | required | meaning |
|---|---|---|
| `customer_id` | yes | who ordered (any text or number) |
| `date` | yes | the order's date (ISO `2024-03-01`, or `20240301`) |
| `amount_yuan` | yes | what the customer paid, >= 0 |
| `category` | no | the product category |
| `order_id` | no | unique per order |
| `channel` | no | how the order came (`share`, `ad`, `organic`, ...) |
| `sharer_id` | no | the sharer whose share brought it |

Referral edges: `referrer`, `referee`, `date`; both must be customers of the log. Sharer
roster: `sharer_id`, `joined`, and `quit` (empty while still a sharer).

Every problem is reported at once, each with its line number (the header is line 1 of a
CSV; a Parquet row r is reported as line r + 2 so both read alike), the value found and
what is allowed; nothing is computed from a log with a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import Problem, ScenarioError

ORDER_COLUMNS = {
    "customer_id": True,
    "date": True,
    "amount_yuan": True,
    "category": False,
    "order_id": False,
    "channel": False,
    "sharer_id": False,
}
EDGE_COLUMNS = {"referrer": True, "referee": True, "date": True}
ROSTER_COLUMNS = {"sharer_id": True, "joined": True, "quit": False}
SHOWN = 5  # bad lines listed per problem
MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]  # read as missing values
# A full date (no month or year alone), optionally with a time and a time zone.
FULL_DATE = (
    r"\d{8}|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
ZONED = r".*(?:Z|[+-]\d{2}:?\d{2})"
LOCAL_ZONE = "Asia/Shanghai"  # dates with a time zone are read as China Standard Time


def read_table(path: str | Path, what: str) -> pd.DataFrame:
    """A CSV or Parquet file as text columns (values are parsed by the checks)."""
    path = Path(path)
    if not path.exists() or path.is_dir():
        raise ScenarioError(
            str(path),
            [
                Problem(
                    "",
                    "file not found" if not path.exists() else "is a directory",
                    f"a CSV or Parquet {what}",
                )
            ],
        )
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path).reset_index(drop=True)
            for c in frame.columns:  # ids stored as floats because of gaps: 7.0 is "7"
                if pd.api.types.is_float_dtype(frame[c]) and (frame[c].dropna() % 1 == 0).all():
                    frame[c] = frame[c].astype("Int64")
            return frame.astype({c: "string" for c in frame.columns})
        return pd.read_csv(path, dtype="string", keep_default_na=False, na_values=MISSING)
    except UnicodeDecodeError:
        raise ScenarioError(
            str(path),
            [Problem("", "is not UTF-8 text", f"the {what} saved as UTF-8 (CSV UTF-8 in Excel)")],
        ) from None
    except Exception as exc:
        raise ScenarioError(
            str(path),
            [
                Problem(
                    "",
                    f"cannot be read as {what} ({type(exc).__name__}: {exc!s:.160})",
                    "a CSV file with a header row, or a Parquet file",
                )
            ],
        ) from None


def lines(mask: pd.Series, frame: pd.DataFrame, column: str) -> str:
    """The first bad lines and their values, e.g. 'line 7 ('x'), line 9 ('')'."""
    bad = frame.index[mask.to_numpy()]
    shown = ", ".join(f"line {i + 2} ({frame.at[i, column]!r})" for i in bad[:SHOWN])
    more = f" and {len(bad) - SHOWN} more" if len(bad) > SHOWN else ""
    return shown + more


def bad_lines(
    mask: pd.Series, frame: pd.DataFrame, column: str, what: str, allowed: str
) -> list[Problem]:
    """A problem naming the lines where `mask` holds (none if it holds nowhere)."""
    if not mask.any():
        return []
    return [Problem(column, f"{int(mask.sum())} {what}: {lines(mask, frame, column)}", allowed)]


def parse_dates(text: pd.Series) -> pd.Series:
    """Full dates: ISO (2024-03-01, with an optional time) or compact 20240301; anything
    else (a month or a year alone, other formats) becomes NaT. A time with a time zone is
    converted to China Standard Time before its day is taken (an order at 23:30 UTC is one
    of the next day in Beijing); a time without one is local time."""
    text = text.astype("string").str.strip()
    full = text.str.fullmatch(FULL_DATE).fillna(False).astype(bool)
    compact = full & text.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    zoned = full & ~compact & text.str.fullmatch(ZONED).fillna(False).astype(bool)
    plain = full & ~compact & ~zoned
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if compact.any():
        out[compact] = pd.to_datetime(text[compact], errors="coerce", format="%Y%m%d")
    if plain.any():
        out[plain] = pd.to_datetime(text[plain], errors="coerce", format="ISO8601")
    if zoned.any():
        utc = pd.to_datetime(text[zoned], errors="coerce", format="ISO8601", utc=True)
        out[zoned] = utc.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
    return out


def check_columns(frame: pd.DataFrame, columns: dict[str, bool], what: str) -> list[Problem]:
    missing = [c for c, required in columns.items() if required and c not in frame]
    if missing:
        return [
            Problem(
                "columns",
                f"missing {', '.join(missing)} (found: {', '.join(map(str, frame.columns)) or 'none'})",
                f"{'an' if what[0] in 'aeiou' else 'a'} {what} with the columns "
                + ", ".join(c for c, r in columns.items() if r)
                + " (optional: "
                + ", ".join(c for c, r in columns.items() if not r)
                + ")",
            )
        ]
    return []


def check_dates(frame: pd.DataFrame, column: str) -> tuple[pd.Series, list[Problem]]:
    """A required date column parsed, and a problem listing the lines that do not parse."""
    dates = parse_dates(frame[column].fillna("").str.strip())
    problems = bad_lines(
        dates.isna(),
        frame,
        column,
        "date(s) that cannot be read",
        "a full date such as 2024-03-01, 2024-03-01 08:30 or 20240301 (a time zone, if "
        "given, is converted to China Standard Time)",
    )
    return dates, problems


@dataclass
class PlatformData:
    """A platform's data, checked: orders (customer_id, date, amount_yuan, and any optional
    columns), and the optional referral edges and sharer roster."""

    orders: pd.DataFrame
    referrals: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None

    @property
    def start(self) -> pd.Timestamp:
        return self.orders["date"].min()

    @property
    def end(self) -> pd.Timestamp:
        return self.orders["date"].max()


def read_orders(path: str | Path) -> pd.DataFrame:
    """Read and check an orders log; raise ScenarioError listing every problem."""
    frame = read_table(path, "orders log")
    problems = check_columns(frame, ORDER_COLUMNS, "orders log")
    if not problems and frame.empty:
        problems.append(Problem("", "the orders log has no orders", "at least one order row"))
    if problems:
        raise ScenarioError(str(path), problems)
    customers = frame["customer_id"].str.strip()
    problems += bad_lines(
        customers.isna() | (customers == ""),
        frame,
        "customer_id",
        "order(s) without a customer",
        "a customer id on every order",
    )
    dates, date_problems = check_dates(frame, "date")
    problems += date_problems
    amounts = pd.to_numeric(frame["amount_yuan"], errors="coerce")
    problems += bad_lines(
        amounts.isna() | (amounts < 0) | ~amounts.abs().lt(1e12),
        frame,
        "amount_yuan",
        "amount(s) that are not a number >= 0",
        "the amount the customer paid, in yuan, a number >= 0",
    )
    if "order_id" in frame:
        dup = frame["order_id"].duplicated(keep="first") & frame["order_id"].notna()
        problems += bad_lines(dup, frame, "order_id", "duplicate order id(s)", "each order id once")
    if problems:
        raise ScenarioError(str(path), problems)
    out = frame.copy()
    out["customer_id"] = customers.astype(str)
    out["date"] = dates.dt.normalize()
    out["amount_yuan"] = amounts.astype(float)
    return out


def read_referrals(path: str | Path, customers: set[str]) -> pd.DataFrame:
    """Referral (or binding) edges: referrer, referee, date; both ends must be customers."""
    frame = read_table(path, "referral edge list")
    problems = check_columns(frame, EDGE_COLUMNS, "referral edge list")
    if problems:
        raise ScenarioError(str(path), problems)
    dates, problems = check_dates(frame, "date")
    frame = frame.copy()
    for column in ("referrer", "referee"):
        ids = frame[column].str.strip()
        frame[column] = ids
        problems += bad_lines(
            ~ids.isin(customers),
            frame,
            column,
            "edge(s) to a customer the orders log does not have",
            "a customer_id of the orders log",
        )
    if problems:
        raise ScenarioError(str(path), problems)
    out = frame.copy()
    out["date"] = dates.dt.normalize()
    return out


def read_roster(path: str | Path) -> pd.DataFrame:
    """The sharer roster: sharer_id, joined, quit (empty: still a sharer)."""
    frame = read_table(path, "sharer roster")
    problems = check_columns(frame, ROSTER_COLUMNS, "sharer roster")
    if problems:
        raise ScenarioError(str(path), problems)
    joined, problems = check_dates(frame, "joined")
    quit_ = pd.Series(pd.NaT, index=frame.index)
    if "quit" in frame:
        given = frame["quit"].notna() & (frame["quit"].str.strip() != "")
        quit_ = parse_dates(frame["quit"].fillna("").str.strip())
        bad = given & quit_.isna()
        problems += bad_lines(
            bad,
            frame,
            "quit",
            "date(s) that cannot be read",
            "a date such as 2024-03-01, or empty while still a sharer",
        )
        problems += bad_lines(
            given & ~bad & (quit_ < joined),
            frame,
            "quit",
            "quit(s) before joining",
            "a quit date on or after the joined date",
        )
    if problems:
        raise ScenarioError(str(path), problems)
    out = frame.copy()
    out["joined"], out["quit"] = joined.dt.normalize(), quit_.dt.normalize()
    return out


def read_platform_data(
    orders: str | Path, referrals: str | Path | None = None, roster: str | Path | None = None
) -> PlatformData:
    """Read and check every file given, before any work."""
    log = read_orders(orders)
    return PlatformData(
        log,
        read_referrals(referrals, set(log["customer_id"])) if referrals is not None else None,
        read_roster(roster) if roster is not None else None,
    )
