"""The model gives exactly the recorded numbers for every config of the fingerprint (tests/fingerprint.py)."""

import json
from pathlib import Path

import pytest

from fingerprint import CONFIGS, fingerprint

RECORDED = json.loads((Path(__file__).parent / "data" / "fingerprint.json").read_text())


def test_every_config_is_recorded():
    assert sorted(RECORDED) == sorted(CONFIGS)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_same_numbers(name):
    """Every recorded figure is the same (summary keys added since are new measures, not changed numbers)."""
    got, recorded = fingerprint(name), RECORDED[name]
    assert set(recorded) <= set(got) and set(recorded["summary"]) <= set(got["summary"])
    assert {k: got[k] for k in recorded if k != "summary"} == {k: v for k, v in recorded.items() if k != "summary"}
    assert {k: got["summary"][k] for k in recorded["summary"]} == recorded["summary"]
