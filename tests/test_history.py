"""Reading a user's own community (sim/history.py): a good export is read as it is, and every class of
bad file (docs/data.md) is refused with a message that names the file, the place and the fix."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.history import MIN_DAYS, HistoryError, read_history, read_members


def history(days: int = 40, start: int = 100, dated: bool = False) -> pd.DataFrame:
    """A consistent history: members follow from joins and leaves."""
    rows, members = [], start
    for d in range(days):
        joins, leaves = (0, 0) if d == 0 else (5 + d % 3, 2 + d % 2)
        members += joins - leaves
        rows.append({"day": d, "members": members, "active": members // 4, "joins": joins, "leaves": leaves,
                     "weekly_active": members // 2})
    frame = pd.DataFrame(rows)
    if dated:
        frame.insert(0, "date", pd.date_range("2026-03-01", periods=days).strftime("%Y-%m-%d"))
        frame = frame.drop(columns="day")
    return frame


def write(tmp_path, frame: pd.DataFrame, name: str = "history.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def refused(path, *words: str, reader=read_history):
    with pytest.raises(HistoryError) as err:
        reader(path)
    message = str(err.value)
    for word in (str(path), *words):
        assert word in message, (word, message)
    return message


@pytest.mark.parametrize("dated", [False, True])
def test_a_good_history_is_read_with_days_from_zero(tmp_path, dated):
    frame = history(dated=dated)
    got = read_history(write(tmp_path, frame))
    assert got["day"].tolist() == list(range(len(frame)))
    assert got["members"].tolist() == frame["members"].tolist()
    assert "weekly_active" in got and "purchases" not in got
    assert ("date" in got) == dated


def test_missing_columns_are_named(tmp_path):
    refused(write(tmp_path, history().drop(columns=["leaves"])), "'leaves'", "the header needs")
    refused(write(tmp_path, history().drop(columns=["day"])), "day or date")


@pytest.mark.parametrize("column, value, words", [
    ("active", "12k", ["line 7", "column 'active'", "'12k' is not a number"]),
    ("joins", "", ["line 7", "column 'joins'"]),
])
def test_unparseable_numbers_name_line_and_column(tmp_path, column, value, words):
    frame = history().astype({column: object})
    frame.loc[5, column] = value
    refused(write(tmp_path, frame), *words)


def test_unparseable_dates_name_line_and_column(tmp_path):
    frame = history(dated=True)
    frame.loc[3, "date"] = "03/04/2026"
    refused(write(tmp_path, frame), "line 5", "column 'date'", "YYYY-MM-DD")


@pytest.mark.parametrize("dated", [False, True])
def test_days_that_repeat_or_go_backwards_are_refused(tmp_path, dated):
    frame = history(dated=dated)
    key = "date" if dated else "day"
    repeat = frame.copy()
    repeat.loc[10, key] = repeat.loc[9, key]
    refused(write(tmp_path, repeat), "line 12", "repeats")
    back = frame.copy()
    back.loc[10, key] = back.loc[2, key]
    refused(write(tmp_path, back), "line 12", "goes backwards")


@pytest.mark.parametrize("dated", [False, True])
def test_gaps_are_refused(tmp_path, dated):
    frame = history(dated=dated).drop(index=[20, 21]).reset_index(drop=True)
    refused(write(tmp_path, frame), "line 22", "2 day(s) are missing")


def test_negative_counts_are_refused(tmp_path):
    frame = history()
    frame.loc[8, "leaves"] = -3
    refused(write(tmp_path, frame), "line 10", "column 'leaves'", "negative")


def test_members_that_do_not_add_up_are_refused_beyond_the_tolerance(tmp_path):
    frame = history(start=1000)
    frame.loc[15:, "members"] += 8  # within 1% of ~1,000 members: accepted
    read_history(write(tmp_path, frame))
    frame.loc[25:, "members"] += 30  # 30 more than joins and leaves allow
    refused(write(tmp_path, frame), "line 27", "do not add up", "within 1%")


def test_a_history_too_short_to_fit_is_refused(tmp_path):
    refused(write(tmp_path, history(days=MIN_DAYS - 1)), f"at least {MIN_DAYS}")


def test_more_active_than_members_is_refused(tmp_path):
    frame = history()
    frame.loc[4, "active"] = frame.loc[4, "members"] + 1
    refused(write(tmp_path, frame), "line 6", "column 'active'")


def test_a_missing_or_unreadable_file_is_refused(tmp_path):
    refused(tmp_path / "nope.csv", "does not exist")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x01garbage\x00")
    refused(tmp_path / "bin.csv", "CSV")


def test_member_table_days_follow_the_history_dates(tmp_path):
    dated = read_history(write(tmp_path, history(dated=True)))
    members = pd.DataFrame({"id": ["a", "b"], "joined": ["2026-03-01", "2026-03-05"],
                            "last_active": ["2026-03-09", ""], "purchases": [1, 0], "group": ["g1", "g2"]})
    got = read_members(write(tmp_path, members, "members.csv"), dated)
    assert got["joined"].tolist() == [0, 4]
    assert got["last_active"].iloc[0] == 8 and pd.isna(got["last_active"].iloc[1])


def test_bad_member_tables_are_refused(tmp_path):
    good = pd.DataFrame({"id": ["a", "b"], "joined": [0, 3], "last_active": [5, ""], "purchases": [1, 0],
                         "group": ["g1", "g1"]})
    refused(write(tmp_path, good.drop(columns="group"), "m.csv"), "'group'", reader=read_members)
    twice = good.assign(id=["a", "a"])
    refused(write(tmp_path, twice, "m.csv"), "line 3", "appears twice", reader=read_members)
    late = good.astype({"joined": object})
    late.loc[1, "joined"] = "soon"
    refused(write(tmp_path, late, "m.csv"), "line 3", "column 'joined'", reader=read_members)
