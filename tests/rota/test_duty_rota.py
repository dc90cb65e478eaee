"""The duty rota as the MASH manager keeps it, and what it is for: an urgent (Red) task nobody claims within the
escalation time (15 minutes unless configured) goes, once, to the person on duty for its role; a claimed task is
not escalated; the SLA wall says who is on duty now."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.clock import clock
from app.core.db import get_db
from app.inbox.models import OpenTask
from app.notifications.models import Notification
from app.rota import escalation
from app.rota.escalation import escalate_due
from app.rota.models import DutyEscalation, DutyShift
from tests import factories as f
from tests.api.test_referral_walks import complete, report

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
#: Monday 4 January 2027, 10:00 in London (GMT).
MONDAY_10 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def shift_form(role: str = "police", username: str = "police", day: str = "4", start: str = "09:00",
               end: str = "17:00") -> dict:
    return {"role": role, "username": username, "date-day": day, "date-month": "1", "date-year": "2027",
            "start_time": start, "end_time": end}


def shifts() -> list[tuple[str, str, datetime, datetime]]:
    with get_db().unit_of_work(write=False) as session:
        return [(s.role, session.get_one(User, s.user_id).username, s.starts_at, s.ends_at)
                for s in session.scalars(select(DutyShift).order_by(DutyShift.starts_at))]


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """Escalation notifications queued (the notifications package's notify, seen at its call)."""
    calls: list[dict] = []

    def notify(session, task, reference, duty, at):
        calls.append({"task_id": task.task_id, "to": duty.username, "case_id": task.case_id})
        return [len(calls)]

    monkeypatch.setattr(escalation, "_notify", notify)
    return calls


def red_police_task(api) -> tuple[int, str]:
    """A Red contact screened at MONDAY_10 with a police check nobody has claimed."""
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("red", ["police"]))
    with get_db().unit_of_work(write=False) as session:
        task = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.role == "police")).one()
        return case_id, task.task_id


def test_the_manager_adds_changes_and_removes_shifts(web):
    clock.freeze(MONDAY_10)
    manager = web("mash-manager")
    response = manager.post_form("/duty-rota", shift_form())
    assert response.status_code == 302
    response = manager.post_form("/duty-rota", shift_form(start="17:00", end="09:00"))  # the night shift
    assert shifts() == [("police", "police", datetime(2027, 1, 4, 9, tzinfo=UTC), datetime(2027, 1, 4, 17, tzinfo=UTC)),
                        ("police", "police", datetime(2027, 1, 4, 17, tzinfo=UTC),
                         datetime(2027, 1, 5, 9, tzinfo=UTC))]
    page = manager.get("/duty-rota").get_data(as_text=True)
    assert "On duty now" in page and "Police (demo)" in page.split('id="on-duty"')[1].split("</section>")[0]
    with get_db().unit_of_work(write=False) as session:
        night = session.scalars(select(DutyShift).order_by(DutyShift.starts_at.desc())).first().id
    assert manager.post_form(f"/duty-rota/{night}", shift_form(start="18:00", end="08:00"),
                             csrf_from=f"/duty-rota/{night}").status_code == 302
    assert shifts()[1][2:] == (datetime(2027, 1, 4, 18, tzinfo=UTC), datetime(2027, 1, 5, 8, tzinfo=UTC))
    assert manager.post_form(f"/duty-rota/{night}/remove", {}, csrf_from="/duty-rota").status_code == 302
    assert len(shifts()) == 1
    with get_db().unit_of_work(write=False) as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("rota.%")))]
    assert actions == ["rota.shift-added", "rota.shift-added", "rota.shift-changed", "rota.shift-removed"]


def test_bad_input_and_an_overlap_are_refused_with_the_error_summary(web):
    clock.freeze(MONDAY_10)
    manager = web("mash-manager")
    manager.post_form("/duty-rota", shift_form())
    overlap = manager.post_form("/duty-rota", shift_form(username="police", start="16:00", end="20:00"))
    page = overlap.get_data(as_text=True)
    assert overlap.status_code == 200 and "There is a problem" in page
    assert "This overlaps Police (demo)&#39;s Police shift from 4 Jan 2027 09:00 to 4 Jan 2027 17:00" in page
    assert 'value="16:00"' in page  # what was typed stays
    bad = manager.post_form("/duty-rota", {"role": "", "username": "health", "date-day": "31", "date-month": "2",
                                           "date-year": "2027", "start_time": "25:00", "end_time": ""})
    page = bad.get_data(as_text=True)
    for message in ("Select the role the person is on duty for", "The day the shift starts must be a real date",
                    "Enter the start time as hours and minutes", "Enter the end time as hours and minutes"):
        assert message in page
    not_their_role = manager.post_form("/duty-rota", shift_form(role="health", username="police"))
    assert "does not hold the role Health" in not_their_role.get_data(as_text=True)
    assert len(shifts()) == 1


def test_only_the_mash_manager_keeps_the_rota(web, api):
    for role in ("police", "ops-manager", "referrer", "admin"):
        assert web(role).get("/duty-rota").status_code == 403, role


def escalation_messages() -> list[tuple[str, str | None, int | None, bool, str, str]]:
    """Each queued duty-escalation message: to whom (a staff member by account), task, case, urgency, words."""
    with get_db().unit_of_work(write=False) as session:
        return [(session.get_one(User, n.recipient_user_id).username if n.recipient_user_id else n.to_address,
                 n.task_id, n.case_id, n.urgent, n.subject, n.body)
                for n in session.scalars(select(Notification).where(Notification.kind == "duty-escalation")
                                         .order_by(Notification.id))]


@BOTH
def test_an_unclaimed_urgent_task_is_escalated_once_to_the_person_on_duty_after_15_minutes(api, web):
    clock.freeze(MONDAY_10)
    with get_db().unit_of_work() as session:
        session.scalars(select(User).where(User.username == "police")).one().email = "duty.officer@police.example.org"
    web("mash-manager").post_form("/duty-rota", shift_form())
    case_id, task_id = red_police_task(api)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert escalate_due() == 0 and escalation_messages() == []
    clock.advance(timedelta(seconds=1))
    assert escalate_due() == 1
    [(address, task, case, urgent, subject, body)] = escalation_messages()
    assert (address, task, case, urgent) == ("police", task_id, case_id, True)
    assert subject == 'Urgent: nobody has picked up "Check police records" on a Red contact'
    assert "has waited 15 minutes" in body and "Ava" not in subject + body and "Smith" not in subject + body
    for _ in range(3):  # later passes, as after a restart: the marker is in the database
        clock.advance(timedelta(minutes=20))
        assert escalate_due() == 0
    assert len(escalation_messages()) == 1
    with get_db().unit_of_work(write=False) as session:
        marker = session.get_one(DutyEscalation, task_id)
        assert (marker.role, marker.escalated_at) == ("police", MONDAY_10 + timedelta(minutes=15))
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "task.escalated-to-duty")).one()
        assert event.case_id == case_id and event.details["unclaimed_minutes"] == 15
        assert len(event.details["notifications"]) == 1


def test_a_claimed_task_is_not_escalated(api, web, sent):
    clock.freeze(MONDAY_10)
    web("mash-manager").post_form("/duty-rota", shift_form())
    _case_id, task_id = red_police_task(api)
    clock.advance(timedelta(minutes=10))
    police = web("police")
    assert police.post_form(f"/tasks/{task_id}/claim", {}, csrf_from="/inbox").status_code == 302
    clock.advance(timedelta(minutes=30))
    assert escalate_due() == 0 and sent == []


def test_an_amber_task_is_not_escalated_and_nobody_on_duty_means_it_waits_for_the_next_shift(api, web, sent):
    clock.freeze(MONDAY_10)
    amber = report(api, given="Amberly")
    complete(api, amber, "screening", "mash-manager", f.screening("amber", ["police"]))
    _case_id, task_id = red_police_task(api)
    clock.advance(timedelta(minutes=20))
    assert escalate_due() == 0  # nobody is on duty for police yet
    web("mash-manager").post_form("/duty-rota", shift_form(start="10:15", end="18:00"))
    assert escalate_due() == 1
    assert [s["task_id"] for s in sent] == [task_id]


def test_the_escalation_time_is_a_setting(api, web, sent, monkeypatch):
    monkeypatch.setenv("MASH_DUTY_ESCALATION_MINUTES", "5")
    clock.freeze(MONDAY_10)
    web("mash-manager").post_form("/duty-rota", shift_form())
    red_police_task(api)
    clock.advance(timedelta(minutes=5))
    assert escalate_due() == 1


def test_the_sla_wall_shows_who_is_on_duty_now(web):
    clock.freeze(MONDAY_10)
    manager = web("mash-manager")
    manager.post_form("/duty-rota", shift_form(role="mash-manager", username="mash-manager"))
    wall = manager.get("/dashboard").get_data(as_text=True)
    section = wall.split('id="on-duty"')[1].split("</section>")[0]
    assert "MASH manager (demo)" in section and "until 17:00" in section
    clock.advance(timedelta(hours=8))
    wall = web("ops-manager").get("/dashboard").get_data(as_text=True)
    assert "No one is on the duty rota now." in wall.split('id="on-duty"')[1]


def test_the_demo_rota_covers_every_lane_day_and_night_once(app):
    from app.demo import seed_rota
    from app.rota.operations import DUTY_ROLES
    from app.rota.queries import on_duty

    clock.freeze(MONDAY_10)
    assert seed_rota() == 7 * len(DUTY_ROLES) and seed_rota() == 0
    with get_db().unit_of_work(write=False) as session:
        assert on_duty(session, "police", MONDAY_10).username == "police"
        assert on_duty(session, "out-of-hours", MONDAY_10 + timedelta(hours=12)).username == "out-of-hours"


def test_the_running_scheduler_escalates_on_its_own_pass(api, web, sent):
    """Nobody calls escalate_due here: the deadline scheduler's pass does, once the clock reaches 15 minutes."""
    from app.casework.scheduler import DeadlineScheduler
    from tests.conftest import wait_for

    clock.freeze(MONDAY_10)
    web("mash-manager").post_form("/duty-rota", shift_form())
    _case_id, task_id = red_police_task(api)
    runner = DeadlineScheduler(holder="escalation-test")
    runner.start()
    try:
        assert wait_for(lambda: runner.is_leader, timeout=10)
        clock.advance(timedelta(minutes=15))
        runner.wake()
        assert wait_for(lambda: len(sent) == 1, timeout=10)
        assert sent[0]["task_id"] == task_id
    finally:
        runner.shutdown()


def test_retention_removes_shifts_that_ended_before_its_cutoff_and_keeps_the_rest(web):
    """The rota names staff: a shift is kept for the retention period, then removed by the retention run."""
    from app.core.actor import SYSTEM
    from app.retention.operations import apply_retention

    clock.freeze(MONDAY_10)
    web("mash-manager").post_form("/duty-rota", shift_form())
    web("mash-manager").post_form("/duty-rota", shift_form(day="5"))
    clock.freeze(datetime(2030, 1, 5, 12, 0, tzinfo=UTC))  # 36 months on: past Monday's shift's end, not Tuesday's
    run = apply_retention(get_db(), SYSTEM, months=36)
    assert run.past_shifts_removed == 1
    assert [start.day for _role, _user, start, _end in shifts()] == [5]
