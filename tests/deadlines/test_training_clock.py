"""The training sandbox: a trainer moves the clock and the deadlines that fall due fire at once.
Outside training mode the clock route does not exist."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from app import create_app
from app.casework.scheduler import DeadlineScheduler
from app.core.clock import now
from app.deadlines.training_clock import parse_duration
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.conftest import ApiClient, wait_for
from tests.training.sandbox import live_database, training_settings


@pytest.fixture
def settings(settings):
    return training_settings(settings)  # the sandbox runs on a database marked as training


def test_outside_training_mode_the_clock_route_is_not_there(app, settings, sqlite_template, tmp_path):
    live = create_app(replace(settings, training=False, database_url=live_database(sqlite_template, tmp_path / "live")))
    trainer = ApiClient(live, "trainer")
    assert trainer.post("/api/v1/clock", json={"advance": "PT5H"}).status_code == 404
    assert trainer.get("/api/v1/clock").status_code == 404


def test_a_trainer_moves_the_clock_and_a_late_check_is_chased_at_once(api):
    scheduler = DeadlineScheduler(holder="training")
    scheduler.start()
    try:
        case_id = report(api)
        complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
        before = now()
        response = api("trainer").post("/api/v1/clock", json={"advance": "PT5H"})
        assert response.status_code == 200, response.get_json()
        moved = datetime.fromisoformat(response.get_json()["now"])
        assert timedelta(hours=5) <= moved - before < timedelta(hours=5, seconds=30)

        def chased() -> bool:
            case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
            return "Chase overdue police check" in {t["name"] for t in case["open_tasks"]}
        assert wait_for(chased, timeout=10)
    finally:
        scheduler.shutdown()


def test_setting_the_clock_to_a_monday_morning(api):
    response = api("admin").post("/api/v1/clock", json={"set": "2030-01-07T09:00:00Z"})
    assert response.status_code == 200
    assert response.get_json()["now"].startswith("2030-01-07T09:00")
    assert api("trainer").get("/api/v1/clock").get_json()["now"].startswith("2030-01-07T09:0")


@pytest.mark.parametrize(("body", "field"), [
    ({"advance": "5 hours"}, "advance"),
    ({"advance": "-PT5H"}, "advance"),
    ({"set": "2001-01-01T09:00:00Z"}, "set"),
    ({"set": "2030-01-07T09:00:00"}, "set"),
    ({"advance": "PT1H", "set": "2030-01-07T09:00:00Z"}, None),
    ({"rewind": "PT1H"}, "rewind"),
])
def test_a_clock_move_that_makes_no_sense_is_refused(api, body, field):
    before = now()
    response = api("trainer").post("/api/v1/clock", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field
    assert now() - before < timedelta(minutes=1)


def test_only_trainers_and_admins_move_the_clock(api):
    assert api("mash-manager").post("/api/v1/clock", json={"advance": "PT1H"}).status_code == 403
    assert api("police").get("/api/v1/clock").status_code == 403


@pytest.mark.parametrize(("text", "expected"), [
    ("PT5H", timedelta(hours=5)), ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
    ("P2W", timedelta(weeks=2)), ("PT0.5S", timedelta(seconds=0.5)), ("pt90m", timedelta(minutes=90)),
])
def test_durations_are_iso_8601(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "P1M", "P1Y", "5H", "P1DT", ""])
def test_durations_without_a_fixed_length_are_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011  (each input has its own message; the refusal is the point)
        parse_duration(text)
