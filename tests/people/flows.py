"""Contacts reported through the API with the subjects a person-index test needs."""
from __future__ import annotations

from tests import factories as f


def subject(role: str, given: str, family: str, dob: str | None = None, **extra) -> dict:
    return {"role": role, "given_name": given, "family_name": family, **({"date_of_birth": dob} if dob else {}),
            **extra}


def report(api, *subjects: dict, source: str = "2A") -> int:
    body = f.contact(source=source)
    body["subjects"] = list(subjects)
    response = api("police").post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_id"]


def case_json(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


FAMILY = (subject("child", "Jayden", "Okoro", "2016-04-12", address="3 Canal Walk, London N1 9GU",
                  nhs_number="943 476 5919", gender="1"),
          subject("parent", "Grace", "Okoro", "1990-08-30", address="3 Canal Walk, London N1 9GU", gender="2"),
          subject("alleged-perpetrator", "Dean", "Walsh", "1985-01-17"))
#: The same child a year later, from health, with the given name mistyped and no NHS number.
LATER = subject("child", "Jaydon", "Okoro", "2016-04-12", address="3 Canal Walk, London N1 9GU")
