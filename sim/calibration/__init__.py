"""Calibration to a platform's own data: its orders log (and optional referral edges and
sharer roster) read and checked (`data.py`), and the summary statistics computed from a log
and from simulated runs by one code path (`summaries.py`)."""
