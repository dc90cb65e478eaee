"""The authorisation table is the law: every route of the app is in it, and walking every route with
every role (and with no login) gets exactly what the table says. Need-to-know checks inside a route
may still answer 404, but never let a role through that the table keeps out."""
from __future__ import annotations

import re

import pytest

from app.auth.authorisation import PUBLIC, ROUTE_ROLES, SIGNED_IN, roles_for
from app.core.roles import ALL_ROLES
from tests import factories as f
from tests.api.test_referral_walks import task_id

ANONYMOUS = None
#: Routes on one task: the table lets every task role in, then only the task's own role may act
#: (the walk's task is the MASH manager's screening, so other task roles get 403 from the route itself).
TASK_SCOPED = {"inbox.task", "inbox.submit", "inbox.claim", "inbox.unclaim", "api.get_task", "api.complete"}
#: Routes on one agency's return: the table lets every agency in, then only the agency that made the return may
#: release it (the walk fills the agency with a placeholder no one owns, so every agency gets 403 there).
RETURN_OWNER_SCOPED = {"need_to_know.release_return", "need_to_know.withdraw_release", "api.release_agency_return",
                       "api.withdraw_agency_return_release"}


@pytest.fixture
def walk(app, api, web):
    """A real case (reported by the police user) with its screening task open, and a client per role."""
    response = api("police").post("/api/v1/contacts", json=f.contact())
    assert response.status_code == 201
    case_id = response.get_json()["case_id"]
    values = {"case_id": str(case_id), "task_id": task_id(api, case_id, "screening", "mash-manager"),
              "filename": "x.css"}
    return case_id, values


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route the app answers."""
    return [(rule.endpoint, method, rule.rule)
            for rule in app.url_map.iter_rules() for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def fill(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "1"), rule)


def test_every_route_is_in_the_table_and_the_table_has_no_stale_entries(app):
    endpoints = {endpoint for endpoint, _method, _rule in routes(app)}
    assert {e for e in endpoints if roles_for(e) is None} == set(), "routes without a rule are refused to everyone"
    assert set(ROUTE_ROLES) - endpoints == set()


def test_the_table_names_only_roles_the_hub_has(app):
    known = set(ALL_ROLES) | {PUBLIC, SIGNED_IN}
    assert {role for roles in ROUTE_ROLES.values() for role in roles} <= known


def _request(app, clients: dict, role: str | None, method: str, path: str):
    if path.startswith("/api/"):
        if role is ANONYMOUS:
            return app.test_client().open(path, method=method, json={} if method == "POST" else None)
        return clients["api"](role).client.open(path, method=method, headers=clients["api"](role)._headers(),
                                                json={} if method == "POST" else None)
    if role is ANONYMOUS:
        return app.test_client().open(path, method=method)
    client = clients["web"](role)
    if method == "POST":
        return client.client.post(path, data={"csrf_token": client.csrf("/login")})
    return client.client.get(path)


def test_every_route_with_every_role_and_without_signing_in(app, api, web, walk):
    _case_id, values = walk
    web_clients: dict = {}
    clients = {"api": api, "web": lambda role: web_clients[role] if role in web_clients else
               web_clients.setdefault(role, web(role))}
    checked = 0
    for endpoint, method, rule in routes(app):
        allowed = roles_for(endpoint)
        path = fill(rule, values)
        for role in (ANONYMOUS, *ALL_ROLES):
            if endpoint == "auth.logout":  # signing out ends the session: use one made for the purpose
                web_clients.pop(role, None)
            response = _request(app, clients, role, method, path)
            if endpoint == "auth.logout":
                web_clients.pop(role, None)
            status = response.status_code
            where = f"{method} {path} as {role or 'nobody'}: {status}"
            checked += 1
            if PUBLIC in allowed:
                assert status not in (401, 403), where
            elif role is ANONYMOUS:
                if path.startswith("/api/"):
                    assert status == 401, where
                else:  # pages send you to sign in (a POST without a session has no CSRF token either)
                    assert status in (302, 400), where
                    if status == 302:
                        assert "/login" in response.headers["Location"], where
            elif SIGNED_IN in allowed or role in allowed:
                refused_by_task_role = ((endpoint in TASK_SCOPED and role != "mash-manager")
                                        or endpoint in RETURN_OWNER_SCOPED)
                assert status != 401 and (status != 403 or refused_by_task_role), where
                if endpoint != "auth.logout":  # the one route whose success is the sign-in page
                    assert not (status == 302 and "/login" in response.headers.get("Location", "")), where
            else:
                assert status == 403, where
    assert checked == len(routes(app)) * (len(ALL_ROLES) + 1)


def test_a_referrer_cannot_read_someone_elses_contact_through_any_route(app, api, web, walk):
    """The police reported this contact. The referrer gets nothing about it from any route that takes a
    case or task id, and it is not in any list the referrer can open."""
    case_id, values = walk
    reference = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()["reference"]
    referrer_web = web("referrer")
    for _endpoint, method, rule in routes(app):
        if "<" not in rule or "filename" in rule:
            continue
        path = fill(rule, values)
        if path.startswith("/api/"):
            response = api("referrer").client.open(path, method=method, headers=api("referrer")._headers(),
                                                   json={} if method == "POST" else None)
        else:
            data = {"csrf_token": referrer_web.csrf("/contacts/new")} if method == "POST" else None
            response = referrer_web.client.open(path, method=method, data=data)
        assert response.status_code in (403, 404), f"{method} {path}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert reference not in body and "Ava" not in body, f"{method} {path} leaked the contact"
    for endpoint, method, rule in routes(app):
        if "<" in rule or method != "GET" or not ({"referrer", SIGNED_IN} & roles_for(endpoint)):
            continue
        body = referrer_web.get(rule, follow_redirects=True).get_data(as_text=True) if not rule.startswith("/api/") \
            else api("referrer").get(rule).get_data(as_text=True)
        assert reference not in body, f"GET {rule} lists someone else's contact"


def test_a_referrer_sees_their_own_contact_and_its_feedback_but_no_findings(app, api, web):
    from tests.api.test_referral_walks import complete, report

    case_id = report(api)  # reported by the referrer
    complete(api, case_id, "screening", "mash-manager", f.screening(rag="amber", agencies=["police"]))
    complete(api, case_id, f.AGENCY_TASKS["police"], "police",
             f.agency_return(findings="Known to police: a 2024 call-out"))
    own = api("referrer").get(f"/api/v1/contacts/{case_id}")
    assert own.status_code == 200
    body = own.get_json()
    assert body["status"] == "with the hub" and body["feedback"] == []
    assert "call-out" not in own.get_data(as_text=True)
    page = web("referrer").get(f"/contacts/{case_id}/received").get_data(as_text=True)
    assert body["reference"] in page and "call-out" not in page
    listing = web("referrer").get("/contacts").get_data(as_text=True)
    assert body["reference"] in listing
