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
    assert fingerprint(name) == RECORDED[name]
