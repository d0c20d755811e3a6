"""Reading a platform's data: every problem reported at once, by line, before any work."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.calibration.data import read_orders, read_platform_data, read_roster
from sim.errors import ScenarioError

GOOD = "customer_id,date,amount_yuan,order_id\na,2024-03-01,39.9,1\nb,20240302,12,2\na,2024-03-09,0,3\n"


def write(tmp_path, text: str, name: str = "orders.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path, reader=read_orders, **kw) -> str:
    with pytest.raises(ScenarioError) as err:
        reader(path, **kw)
    return str(err.value)


def test_a_good_log_reads_with_parsed_columns(tmp_path):
    orders = read_orders(write(tmp_path, GOOD))
    assert orders["customer_id"].tolist() == ["a", "b", "a"]
    assert orders["date"].tolist() == list(
        pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-09"])
    )
    assert orders["amount_yuan"].tolist() == [39.9, 12.0, 0.0]


def test_a_parquet_log_reads_like_a_csv(tmp_path):
    csv = read_orders(write(tmp_path, GOOD))
    path = tmp_path / "orders.parquet"
    pd.read_csv(tmp_path / "orders.csv", dtype=str).to_parquet(path)
    pd.testing.assert_frame_equal(read_orders(path), csv)


def test_missing_columns_are_named_with_what_was_found(tmp_path):
    text = problems(write(tmp_path, "customer,date\na,2024-03-01\n"))
    assert "missing customer_id, amount_yuan (found: customer, date)" in text
    assert "allowed: an orders log with the columns customer_id, date, amount_yuan" in text


def test_bad_dates_negative_amounts_and_duplicates_are_listed_by_line(tmp_path):
    text = problems(
        write(
            tmp_path,
            "customer_id,date,amount_yuan,order_id\n"
            "a,2024-03-01,10,1\n"
            "b,yesterday,10,2\n"
            "c,2024-13-01,-5,3\n"
            ",2024-03-02,x,3\n",
        )
    )
    assert "orders.csv: 4 problems" in text
    assert "2 date(s) that cannot be read: line 3 ('yesterday'), line 4 ('2024-13-01')" in text
    assert "2 amount(s) that are not a number >= 0: line 4 ('-5'), line 5 ('x')" in text
    assert "1 duplicate order id(s): line 5 ('3')" in text
    assert "1 order(s) without a customer: line 5" in text


def test_an_empty_log_and_a_missing_file(tmp_path):
    assert "the orders log has no orders" in problems(
        write(tmp_path, "customer_id,date,amount_yuan\n")
    )
    assert "file not found" in problems(tmp_path / "nope.csv")


def test_a_referral_edge_to_an_unknown_customer(tmp_path):
    edges = write(
        tmp_path, "referrer,referee,date\na,b,2024-03-02\na,zed,2024-03-03\n", "edges.csv"
    )
    with pytest.raises(
        ScenarioError,
        match=r"1 edge\(s\) to a customer the orders log does not have: line 3 \('zed'\)",
    ):
        read_platform_data(write(tmp_path, GOOD), referrals=edges)


def test_a_roster_with_a_quit_before_joining(tmp_path):
    roster = write(
        tmp_path, "sharer_id,joined,quit\na,2024-03-01,\nb,2024-03-05,2024-03-01\n", "roster.csv"
    )
    assert "1 quit(s) before joining: line 3 ('2024-03-01')" in problems(roster, read_roster)
    good = write(
        tmp_path, "sharer_id,joined,quit\na,2024-03-01,\nb,2024-03-05,2024-03-09\n", "r2.csv"
    )
    table = read_roster(good)
    assert table["quit"].isna().tolist() == [True, False]


def test_dates_partial_zoned_and_parquet_typed(tmp_path):
    """A month alone is refused; a time zone is converted to Beijing time before the day is
    taken; a Parquet file with typed columns and a stored index reads by its rows."""
    text = problems(
        write(tmp_path, "customer_id,date,amount_yuan\na,2024-03,1\nb,2024,1\nc,2024-03-01,1\n")
    )
    assert "2 date(s) that cannot be read: line 2 ('2024-03'), line 3 ('2024')" in text
    zoned = read_orders(
        write(
            tmp_path,
            "customer_id,date,amount_yuan\n"
            "a,2024-03-01T23:30:00Z,1\nb,2024-03-01 07:00+08:00,1\nc,20240302,1\nd,2024-03-02,1\n",
        )
    )
    assert zoned["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-02",
        "2024-03-01",
        "2024-03-02",
        "2024-03-02",
    ]
    frame = pd.DataFrame(
        {
            "customer_id": [7.0, 8.0, None],
            "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]),
            "amount_yuan": [1.0, -2.0, 3.0],
        },
        index=[20, 21, 22],
    )
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    text = problems(path)
    assert "line 3 ('-2')" in text and "order(s) without a customer: line 4" in text
    frame.loc[21, "amount_yuan"] = 2.0
    frame.loc[22, "customer_id"] = 9.0
    frame.to_parquet(path)
    assert read_orders(path)["customer_id"].tolist() == ["7", "8", "9"]


def test_a_log_that_is_not_utf8_says_how_to_save_it(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("customer_id,date,amount_yuan\n张三,2024-03-01,1\n".encode("gbk"))
    assert "is not UTF-8 text" in problems(path) and "saved as UTF-8" in problems(path)
