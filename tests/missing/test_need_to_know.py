"""What each role sees of a missing episode, page and JSON: the missing children coordinator sees only missing-episode
cases, with the child, where they were found and what they said at the return home interview; the MASH manager sees
all of it; the police, who notified it, see the episode and that the interview was held but not what the child said;
business support sees the episode's dates and progress but not the child's identifiers or where they were found."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.clock import clock
from tests import factories as f
from tests.missing.notifications import interview, missing_person, offer
from tests.missing.test_pathway import COORDINATOR, complete, notify

NOTIFIED = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
FOUND = "A flat on the Eastgate estate"
SAID = "Older friends who give her vapes and lifts."


def cases(api):
    clock.freeze(NOTIFIED)
    missing = notify(api, missing_person(NOTIFIED - timedelta(days=1), returned=NOTIFIED - timedelta(hours=3)))
    complete(api, COORDINATOR, missing, "offer", offer())
    complete(api, COORDINATOR, missing, "interview", interview("2027-01-12"))
    plain = api("referrer").post("/api/v1/contacts", json=f.contact(given="Noor", family="Aziz")).get_json()["case_id"]
    return missing, plain


def test_each_role_sees_its_part_of_a_missing_episode(api, web):
    missing, plain = cases(api)

    # The coordinator: only missing-episode cases, the whole episode with the interview's words.
    episode = api(COORDINATOR).get(f"/api/v1/cases/{missing}/missing-episode").get_json()
    assert (episode["found_where"], episode["pull_factors"], episode["child"]["given_name"]) == (FOUND, SAID, "Kayla")
    assert episode["interview_offered_in_time"] is True and episode["interview_held"] is True
    assert api(COORDINATOR).get(f"/api/v1/cases/{plain}").status_code == 404
    references = {case_id: api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
                  for case_id in (missing, plain)}
    listed = web(COORDINATOR).get("/cases?status=all").get_data(as_text=True)
    assert references[missing] in listed and references[plain] not in listed
    page = web(COORDINATOR).get(f"/cases/{missing}").get_data(as_text=True)
    assert "Missing episode" in page and FOUND in page and SAID in page and "Child criminal exploitation" in page

    # The MASH manager: everything, on every case.
    page = web("mash-manager").get(f"/cases/{missing}").get_data(as_text=True)
    assert FOUND in page and SAID in page
    assert api("mash-manager").get(f"/api/v1/cases/{plain}").status_code == 200

    # The police notified it: the episode and where the child was found, not what the child said.
    episode = api("police").get(f"/api/v1/cases/{missing}/missing-episode").get_json()
    assert episode["found_where"] == FOUND and episode["interview_held"] is True
    assert "pull_factors" not in episode and "exploitation_indicators" not in episode
    page = web("police").get(f"/cases/{missing}").get_data(as_text=True)
    assert FOUND in page and SAID not in page and "Child criminal exploitation" not in page
    assert api("police").get(f"/api/v1/cases/{plain}").status_code == 404

    # Business support: the episode's progress, not the child's identifiers or where they were found.
    episode = api("business-support").get(f"/api/v1/cases/{missing}/missing-episode").get_json()
    assert episode["risk_grading"] == "medium" and episode["interview_offered"] is True
    assert not {"child", "found_where", "pull_factors"} & set(episode)
    page = web("business-support").get(f"/cases/{missing}").get_data(as_text=True)
    assert "Missing episode" in page and FOUND not in page and SAID not in page
    assert "12 Mill Lane" not in page

    # A case that is no missing episode has none.
    assert api("mash-manager").get(f"/api/v1/cases/{plain}/missing-episode").status_code == 404
