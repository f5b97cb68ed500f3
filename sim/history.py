"""A user's own community, as exported from their community tool (SCRM): the daily history and the
optional member table, read and checked before anything is fitted to them (docs/data.md).

Every problem is a ``HistoryError`` whose message names the file, the line or column, and the fix; the
CLI turns it into exit status 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED = ("members", "active", "joins", "leaves")
OPTIONAL = ("purchases", "messages", "weekly_active")
MIN_DAYS = 28          # four weeks: fewer cannot separate weekly rhythm from trend
TOLERANCE = 0.01       # members may differ from the previous day + joins - leaves by 1% (at least 2 people)
MEMBER_COLUMNS = ("id", "joined", "last_active", "purchases", "group")


class HistoryError(ValueError):
    """A history or member file that cannot be used; the message names the file, the place and the fix."""


def _line(row: int) -> int:
    """The file's line number of data row ``row`` (0-based; line 1 is the header)."""
    return row + 2


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise HistoryError(f"{what} '{path}' does not exist: give the path of a CSV file (docs/data.md)")
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise HistoryError(f"{what} '{path}' is not a readable CSV file ({str(err).splitlines()[0]}): export it "
                           "as comma-separated text with a header line (docs/data.md)") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """A column of non-negative counts; the first bad cell is named by line and column."""
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
    bad = values.isna() | ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise HistoryError(f"'{path}' line {_line(row)}, column '{column}': '{frame[column].iloc[row]}' is not a "
                           "number: give a count (e.g. 120), with no thousands separator or unit")
    negative = values < 0
    if negative.any():
        row = int(np.flatnonzero(negative.to_numpy())[0])
        raise HistoryError(f"'{path}' line {_line(row)}, column '{column}': {values.iloc[row]:g} is negative: "
                           "counts are 0 or more (leavers go in 'leaves', as a positive number)")
    return values.to_numpy(dtype=float)


def _days(frame: pd.DataFrame, path: Path) -> np.ndarray:
    """Day numbers 0, 1, ... from a ``day`` (integer) or ``date`` (ISO date) column, checked to go forward
    one day at a time."""
    if "date" in frame.columns:
        column = "date"
        dates = pd.to_datetime(frame["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
        if dates.isna().any():
            row = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise HistoryError(f"'{path}' line {_line(row)}, column 'date': '{frame['date'].iloc[row]}' is not a "
                               "date: write dates as YYYY-MM-DD (e.g. 2026-03-01)")
        days = ((dates - dates.iloc[0]).dt.days).to_numpy()
    else:
        column = "day"
        days = _numbers(frame, "day", path)
        fractional = days != np.round(days)
        if fractional.any():
            row = int(np.flatnonzero(fractional)[0])
            raise HistoryError(f"'{path}' line {_line(row)}, column 'day': {days[row]:g} is not a whole day number")
    steps = np.diff(days)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        kind = "repeats" if steps[row - 1] == 0 else "goes backwards"
        raise HistoryError(f"'{path}' line {_line(row)}, column '{column}': {frame[column].iloc[row]} {kind} "
                           f"(the line before has {frame[column].iloc[row - 1]}): give one line per day, in order")
    if (steps > 1).any():
        row = int(np.flatnonzero(steps > 1)[0]) + 1
        raise HistoryError(f"'{path}' line {_line(row)}, column '{column}': {frame[column].iloc[row]} follows "
                           f"{frame[column].iloc[row - 1]}, so {int(steps[row - 1]) - 1} day(s) are missing: give "
                           "one line per day (a day with no activity still has its members, with 0 joins and leaves)")
    return (days - days[0]).astype(int)


def read_history(path: str | Path) -> pd.DataFrame:
    """The daily history of a community: one row per day (``day`` 0, 1, ...), the required counts
    (``REQUIRED``) and whichever of ``OPTIONAL`` the file has; refused with a ``HistoryError`` naming the
    file, the line or column and the fix when it cannot be fitted (docs/data.md lists the rules)."""
    path = Path(path)
    frame = _read_csv(path, "history")
    time = [c for c in ("day", "date") if c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if not time or missing:
        need = ([] if time else ["day or date"]) + missing
        raise HistoryError(f"history '{path}' has no column {', '.join(repr(c) for c in need)} (its columns: "
                           f"{', '.join(frame.columns)}): the header needs day (or date), {', '.join(REQUIRED)} "
                           "(docs/data.md)")
    if len(frame) < MIN_DAYS:
        raise HistoryError(f"history '{path}' has {len(frame)} day(s): a fit needs at least {MIN_DAYS} (four weeks) "
                           "of daily figures")
    out = pd.DataFrame({"day": _days(frame, path)})
    if "date" in frame.columns:
        out["date"] = frame["date"].str.strip().to_numpy()
    for column in (*REQUIRED, *[c for c in OPTIONAL if c in frame.columns]):
        out[column] = _numbers(frame, column, path)
    _check_balance(out, path)
    for column in ("active", "weekly_active"):
        if column in out and (out[column] > out["members"]).any():
            row = int(np.flatnonzero((out[column] > out["members"]).to_numpy())[0])
            raise HistoryError(f"'{path}' line {_line(row)}, column '{column}': {out[column].iloc[row]:g} is more "
                               f"than the {out['members'].iloc[row]:g} members that day: count active members only")
    return out


def _check_balance(history: pd.DataFrame, path: Path) -> None:
    """Members must follow from the day before, plus joins, minus leaves, within ``TOLERANCE``."""
    members = history["members"].to_numpy()
    expected = members[:-1] + history["joins"].to_numpy()[1:] - history["leaves"].to_numpy()[1:]
    allowed = np.maximum(2.0, TOLERANCE * members[:-1])
    off = np.abs(members[1:] - expected) > allowed
    if off.any():
        row = int(np.flatnonzero(off)[0]) + 1
        raise HistoryError(
            f"'{path}' line {_line(row)}: members {members[row]:g} do not add up: the day before had "
            f"{members[row - 1]:g}, plus {history['joins'].iloc[row]:g} joins, minus {history['leaves'].iloc[row]:g} "
            f"leaves, is {expected[row - 1]:g} (allowed: within {TOLERANCE:.0%} or 2 people). Check that joins and "
            "leaves are counted for the same day as members (at the end of the day)")


def read_members(path: str | Path, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """The optional member table: one row per member with ``MEMBER_COLUMNS``; ``joined`` and
    ``last_active`` are day numbers or, when the history has dates, dates (an empty ``last_active``: never)."""
    path = Path(path)
    frame = _read_csv(path, "member table")
    missing = [c for c in MEMBER_COLUMNS if c not in frame.columns]
    if missing:
        raise HistoryError(f"member table '{path}' has no column {', '.join(repr(c) for c in missing)} (its "
                           f"columns: {', '.join(frame.columns)}): the header needs {', '.join(MEMBER_COLUMNS)}")
    repeated = frame["id"].duplicated()
    if repeated.any():
        row = int(np.flatnonzero(repeated.to_numpy())[0])
        raise HistoryError(f"'{path}' line {_line(row)}, column 'id': '{frame['id'].iloc[row]}' appears twice: "
                           "give each member one line")
    out = pd.DataFrame({"id": frame["id"].str.strip(), "group": frame["group"].str.strip()})
    out["purchases"] = _numbers(frame, "purchases", path)
    start = pd.Timestamp(history["date"].iloc[0]) if history is not None and "date" in history else None
    for column in ("joined", "last_active"):
        out[column] = _member_days(frame, column, path, start, optional=column == "last_active")
    return out


def _member_days(frame: pd.DataFrame, column: str, path: Path, start, optional: bool) -> np.ndarray:
    text = frame[column].str.strip()
    empty = text == ""
    if start is not None:
        values = (pd.to_datetime(text, format="%Y-%m-%d", errors="coerce") - start).dt.days
        hint = "a date YYYY-MM-DD"
    else:
        values = pd.to_numeric(text, errors="coerce")
        hint = "a day number of the history"
    bad = values.isna() & ~(empty & optional)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise HistoryError(f"'{path}' line {_line(row)}, column '{column}': '{text.iloc[row]}' is not {hint}"
                           + (" (leave it empty for a member never active)" if optional else ""))
    return values.to_numpy(dtype=float)
