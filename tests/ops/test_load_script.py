"""bench/load.py's people, briefly, against the app on a real port: the full run lasts ten minutes and lives in
bench/, this keeps its user loop from rotting. Five people (one per role), think times cut to a tenth."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

BENCH = Path(__file__).resolve().parents[2] / "bench"
ROLES = ("referrer", "mash-manager", "police", "health", "business-support")


@pytest.fixture
def load(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    people = importlib.import_module("load_users")
    # Every inbox read also opens the HTML inbox, every contact looks one up: a few seconds use every request type.
    monkeypatch.setattr(people, "INBOX_PAGE_CHANCE", 1.0)
    monkeypatch.setattr(people, "CONTACT_CHECK_CHANCE", 1.0)
    return importlib.import_module("load")


@pytest.fixture
def tokens(api) -> dict[str, str]:
    return {role: api(role).token for role in ROLES}


def test_five_people_for_a_few_seconds_make_no_errors_and_use_every_request_type(load, live_server, tokens,
                                                                                  capsys):
    day = load.hub_day("smoke", live_server, tokens, PASSWORD, users=5, minutes=0.2, seed=3, pace=0.1)
    load.report(day, "live_server")
    printed = capsys.readouterr().out

    recorder = day.hub.recorder
    assert recorder.errors == {} and recorder.anomalies == [] and day.inconsistent == [], printed
    assert [kind for kind, values in recorder.latency.items() if not values] == [], printed
    assert day.hub.completed["screening"] > 0 and len(day.hub.done) > 0, printed
    assert "errors: none" in printed and "0 inconsistent" in printed


def test_a_refused_sign_in_and_a_refused_token_are_counted_as_errors(load, live_server, tokens, capsys):
    day = load.hub_day("refused", live_server, {**tokens, "referrer": "not-a-token"}, "wrong-password", users=5,
                       minutes=0.05, seed=3, pace=0.1)
    load.report(day, "live_server")
    printed = capsys.readouterr().out

    errors = day.hub.recorder.errors
    assert errors[("POST login", "200")] == 4  # the form again, not the 302 to the hub: every member of staff
    assert errors[("POST contacts", "401")] >= 1
    assert "ERRORS by request type and status" in printed and day.failures > 0
