"""No personal data in the application's logs: a contact reported (API and page) and screened (API and page)
with logging captured at DEBUG leaves no trace of the child's names, date of birth or address; request
lines lose their query strings and exceptions their messages."""
from __future__ import annotations

import logging
import sys

from app.core.logging import scrub
from tests import factories as f
from tests.api.test_referral_walks import complete, task_id

GIVEN, FAMILY, DOB, ADDRESS = "Zebedee", "Quillfeather", "2016-02-29", "7 Larkspur Mews, Oddington"
SECRETS = (GIVEN, FAMILY, DOB, "29/02/2016", ADDRESS, "Larkspur")


def everything_logged(caplog) -> str:
    """The formatted text and every attribute of every record (extra= data included)."""
    return caplog.text + "\n".join(repr(vars(record)) for record in caplog.records)


def capture_everything(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("app").debug("capture is on")


def assert_clean(caplog) -> None:
    logged = everything_logged(caplog)
    assert "capture is on" in logged, "the test must see what a DEBUG logger writes"
    for secret in SECRETS:
        assert secret not in logged, secret


def test_reporting_and_screening_through_the_api_logs_no_personal_data(api, caplog):
    capture_everything(caplog)
    body = f.contact(given=GIVEN, family=FAMILY, dob=DOB)
    body["subjects"][0]["address"] = ADDRESS
    response = api("referrer").post("/api/v1/contacts", json=body)
    assert response.status_code == 201
    case_id = response.get_json()["case_id"]
    # Practitioners write names into free text: the rationale travels in the workflow's task data.
    complete(api, case_id, "screening", "mash-manager", f.screening(rag_rationale=f"{GIVEN} disclosed at school."))
    assert GIVEN in api("mash-manager").get(f"/api/v1/cases/{case_id}").get_data(as_text=True)
    assert_clean(caplog)


def test_reporting_and_screening_through_the_pages_logs_no_personal_data(api, web, caplog):
    capture_everything(caplog)
    referrer = web("referrer")
    form = {"source": "2A", "referrer-name": "Jo Teacher", "referrer-organisation": "Hillside Primary",
            "subjects-0-role": "child", "subjects-0-given_name": GIVEN, "subjects-0-family_name": FAMILY,
            "subjects-0-date_of_birth-day": "29", "subjects-0-date_of_birth-month": "2",
            "subjects-0-date_of_birth-year": "2016", "subjects-0-address": ADDRESS,
            "concern": f"{GIVEN} said she was hit at home.", "immediate_risk": "false", "consent-status": "given"}
    sent = referrer.post_form("/contacts/new", form)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    case_id = int(sent.headers["Location"].split("/")[2])
    screening = task_id(api, case_id, "screening", "mash-manager")
    manager = web("mash-manager")
    done = manager.post_form(f"/tasks/{screening}", {"rag": "amber", "rag_rationale": f"{GIVEN} {FAMILY} disclosed.",
                                                      "presenting_factors": ["16A"], "consent": "given",
                                                      "agencies": ["police"]})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert GIVEN in manager.get(f"/cases/{case_id}").get_data(as_text=True)
    manager.get(f"/cases?q={GIVEN}+{FAMILY}")  # a search term in a query string
    assert_clean(caplog)


def test_a_failure_inside_a_request_is_logged_by_class_and_place_without_its_message(app, api, caplog,
                                                                                   monkeypatch):
    import app.intake.api as api_views

    def failing(*_args, **_kwargs):
        raise ValueError(f"could not file the contact for {GIVEN} {FAMILY} at {ADDRESS}")

    monkeypatch.setattr(api_views, "receive_contact", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    capture_everything(caplog)
    assert api("referrer").post("/api/v1/contacts", json=f.contact(given=GIVEN)).status_code == 500
    logged = everything_logged(caplog)
    assert "ValueError" in logged and "failing" in logged and "/api/v1/contacts" in logged
    assert_clean(caplog)


def test_request_lines_lose_their_query_strings():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s -',
                               ("127.0.0.1", f"GET /cases?q={GIVEN}&dob={DOB} HTTP/1.1", 200), None)
    assert scrub(record).getMessage() == '127.0.0.1 - - "GET /cases HTTP/1.1" 200 -'
    plain = logging.LogRecord("app", logging.INFO, __file__, 1, "Case %s: is it done?", (12,), None)
    assert scrub(plain).getMessage() == "Case 12: is it done?"


def test_exceptions_keep_their_class_chain_but_lose_their_messages():
    try:
        try:
            raise KeyError(GIVEN)
        except KeyError as inner:
            raise RuntimeError(f"screening {FAMILY} failed") from inner
    except RuntimeError:
        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "firing failed for case id %s", (7,),
                                   sys.exc_info())
    text = logging.Formatter().format(scrub(record))
    assert "firing failed for case id 7" in text
    assert "RuntimeError" in text and "raised while handling KeyError" in text and "test_no_personal_data" in text
    assert GIVEN not in text and FAMILY not in text


def test_data_that_libraries_attach_to_records_is_dropped():
    record = logging.makeLogRecord({"msg": "State changed to READY", "data": {"given_name": GIVEN},
                                    "internal_data": {"x": FAMILY}})
    scrubbed = scrub(record)
    assert not hasattr(scrubbed, "data") and not hasattr(scrubbed, "internal_data")


def test_spiffworkflow_and_sql_logging_stay_quiet_even_when_the_root_logger_is_at_debug(app):
    for name in ("spiff.task", "spiff.workflow", "sqlalchemy.engine.Engine"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
