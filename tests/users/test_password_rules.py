"""Password rules after the NCSC's guidance: length over complexity (12 to 256 characters, no rules about
character classes), not a common password, not the username or name; applied at adding, resetting and changing."""
from __future__ import annotations

import pytest

from app.auth.passwords import common_passwords, one_time_password, password_problems
from tests.users.conftest import NEW_PASSWORD, post, sign_in


@pytest.mark.parametrize(("password", "problem"), [
    ("short-pw-11", "12 characters or more"),
    ("x" * 257, "256 characters or fewer"),
    ("password1234", "most commonly used"),
    ("Password1234", "most commonly used"),
    ("qwertyuiop123", "most commonly used"),
    ("police-officer-2027", "username or name"),
    ("my name is hill ok", "username or name"),
])
def test_passwords_that_are_refused(password, problem):
    problems = password_problems(password, username="police", name="Jo Hill")
    assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize("password", ["correct horse battery", "alllowercaseletters", "123456789012345678",
                                      "x" * 256, "Zebra-Kettle-Lamp"])
def test_length_matters_not_composition(password):
    assert password_problems(password, username="police", name="Jo Hill") == []


def test_the_deny_list_is_the_twenty_thousand_common_passwords_shipped_with_its_licence():
    from pathlib import Path

    import app.auth.passwords as passwords

    assert len(common_passwords()) > 19_000 and "password123" in common_passwords()
    licence = (Path(passwords.__file__).parent / "data" / "COMMON-PASSWORDS-LICENCE").read_text()
    assert "Django Software Foundation" in licence


def test_one_time_passwords_pass_the_rules_and_differ():
    made = {one_time_password() for _ in range(50)}
    assert len(made) == 50 and all(password_problems(p, username="police", name="Jo Hill") == [] for p in made)


def test_changing_your_own_password_follows_the_rules(app, web):
    person = web("health")
    assert "Change your password" in person.get("/account/password").get_data(as_text=True)
    wrong_current = person.post_form("/account/password", {"current_password": "nope", "password": NEW_PASSWORD,
                                                           "password_confirm": NEW_PASSWORD})
    assert wrong_current.status_code == 422 and "Your current password is not right" in wrong_current.get_data(
        as_text=True)
    common = person.post_form("/account/password", {"current_password": "test-password-1",
                                                     "password": "qwerty123456", "password_confirm": "qwerty123456"})
    assert common.status_code == 422 and "most commonly used" in common.get_data(as_text=True)
    done = person.post_form("/account/password", {"current_password": "test-password-1", "password": NEW_PASSWORD,
                                                   "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert sign_in(app.test_client(), "health", NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "health", "test-password-1").status_code == 200


def test_the_forced_change_refuses_the_username_and_a_common_password(app, api):
    one_time = api("admin").client.patch("/api/v1/users/police", json={"reset_password": True},
                                         headers=api("admin")._headers()).get_json()["one_time_password"]
    client = app.test_client()
    sign_in(client, "police", one_time)
    for weak, message in (("police-police-police", "username or name"), ("1234567890123", "most commonly used")):
        page = post(client, "/login/new-password", {"password": weak, "password_confirm": weak})
        assert message in page.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302, "still not signed in"
