"""API tokens: stored only as hashes, scoped to (a subset of) their user's roles as they are now, expiring,
revocable, every use audited in the request's own transaction; managed with `mash token`."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, UserRole
from app.auth.operations import create_user, mint_token, user_by_username
from app.cli import main
from app.core.clock import clock, now
from app.core.errors import OperationError
from tests.api.test_referral_walks import report


@pytest.fixture
def dual(db):
    """A user who is both MASH manager and police officer."""
    with db.unit_of_work() as session:
        create_user(session, "dual", display_name="Dual role", agency="CSC", roles=["mash-manager", "police"],
                    password="dual-password-1")
    return "dual"


def mint(db, username: str, **kwargs) -> str:
    with db.unit_of_work() as session:
        return mint_token(session, user_by_username(session, username), "test", **kwargs)


def bearer(app, token: str):
    """bearer(app, token)("GET", path) → the answer to a request made with that token."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda method, path, **kw: client.open(path, method=method, headers=headers, **kw)


def test_only_the_tokens_hash_is_stored(app, db):
    token = mint(db, "police")
    with db.unit_of_work(write=False) as session:
        row = session.scalars(select(ApiToken)).all()[-1]
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str([getattr(row, column.key) for column in ApiToken.__table__.columns])


def test_a_token_acts_only_with_its_scope(app, db, api, dual):
    case_id = report(api)
    police_only = bearer(app, mint(db, dual, roles=["police"]))
    both = bearer(app, mint(db, dual))
    rerate = {"rag": "red", "rag_rationale": "Police intelligence."}
    assert police_only("GET", "/api/v1/tasks").status_code == 200
    assert police_only("POST", f"/api/v1/cases/{case_id}/rag", json=rerate).status_code == 403
    assert both("POST", f"/api/v1/cases/{case_id}/rag", json=rerate).status_code == 200


def test_a_token_cannot_be_minted_for_a_role_its_user_lacks(db):
    with pytest.raises(OperationError, match="police does not hold mash-manager"):
        mint(db, "police", roles=["mash-manager"])


def test_taking_a_role_from_a_user_takes_it_from_their_tokens(app, db, api, dual):
    case_id = report(api)
    token = bearer(app, mint(db, dual))
    with db.unit_of_work() as session:
        user = user_by_username(session, dual)
        user.roles = [role for role in user.roles if role.role != "mash-manager"]
    rerate = {"rag": "red", "rag_rationale": "Police intelligence."}
    assert token("POST", f"/api/v1/cases/{case_id}/rag", json=rerate).status_code == 403
    assert token("GET", "/api/v1/tasks").status_code == 200
    with db.unit_of_work() as session:  # and giving it back does not widen a token minted without it
        user = user_by_username(session, dual)
        user.roles.append(UserRole(role="mash-manager"))
    narrow = bearer(app, mint(db, dual, roles=["police"]))
    assert narrow("POST", f"/api/v1/cases/{case_id}/rag", json=rerate).status_code == 403


def test_a_revoked_token_gets_401_and_the_attempt_is_audited(app, db):
    token = mint(db, "police")
    use = bearer(app, token)
    assert use("GET", "/api/v1/tasks").status_code == 200
    with db.unit_of_work() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        row.revoked_at = now()
        token_id = row.id
    refused = use("GET", "/api/v1/tasks")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.get_json()["errors"][0]["message"] == "This token is revoked."
    with db.unit_of_work(write=False) as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.action == "auth.token-refused" and last.details == {"token": token_id, "reason": "revoked"}


def test_an_expired_token_gets_401(app, db):
    use = bearer(app, mint(db, "police", expires_at=now() + timedelta(days=1)))
    assert use("GET", "/api/v1/tasks").status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    refused = use("GET", "/api/v1/tasks")
    assert refused.status_code == 401 and "expired" in refused.get_json()["errors"][0]["message"]


def test_a_disabled_users_token_gets_401(app, db):
    use = bearer(app, mint(db, "police"))
    with db.unit_of_work() as session:
        user_by_username(session, "police").is_active_user = False
    assert use("GET", "/api/v1/tasks").status_code == 401


def test_every_use_is_audited_and_commits_with_the_request_not_on_its_own(app, db, api):
    case_id = report(api)
    token = mint(db, "mash-manager")
    use = bearer(app, token)
    commits = []

    def count(_connection):
        commits.append(1)

    event.listen(db.engine, "commit", count)
    try:
        assert use("GET", f"/api/v1/cases/{case_id}").status_code == 200  # the view commits its case.viewed
        assert use("GET", "/api/v1/tasks").status_code == 200  # read-only: the token's use is the only write
    finally:
        event.remove(db.engine, "commit", count)
    assert len(commits) == 2, "one commit per request"
    with db.unit_of_work(write=False) as session:
        used = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.token-used")
                                    .order_by(AuditEvent.id)))[-2:]
        viewed = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.viewed")
                                 .order_by(AuditEvent.id.desc())).first()
        token_id = session.scalar(select(ApiToken.id).where(
            ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()))
    assert [e.details for e in used] == [{"token": token_id, "endpoint": "api.get_case"},
                                         {"token": token_id, "endpoint": "api.list_tasks"}]
    assert all(e.username == "mash-manager" for e in used)
    assert viewed.seq == used[0].seq + 1, "the token's use and the view it made joined the trail together"


def test_an_unknown_token_gets_401_and_writes_nothing(app, db):
    with db.unit_of_work(write=False) as session:
        before = len(session.scalars(select(AuditEvent.id)).all())
    assert bearer(app, "mash_nope")("GET", "/api/v1/tasks").status_code == 401
    with db.unit_of_work(write=False) as session:
        assert len(session.scalars(select(AuditEvent.id)).all()) == before


# ----------------------------------------------------------------------------- mash token
@pytest.fixture
def mash(settings, monkeypatch):
    monkeypatch.setenv("MASH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MASH_INSTANCE_PATH", str(settings.instance_path))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["token", *args])


def test_mash_token_mints_lists_and_revokes(app, db, mash, dual):
    minted = mash(dual, "--role", "police", "--label", "case system", "--expires-days", "30")
    assert minted.exit_code == 0, minted.output
    token = minted.output.strip()
    assert token.startswith("mash_")
    use = bearer(app, token)
    assert use("GET", "/api/v1/tasks").status_code == 200

    listed = mash(dual, "--list")
    assert listed.exit_code == 0 and token not in listed.output
    [line] = listed.output.strip().splitlines()
    token_id = line.split("\t")[0]
    assert "case system" in line and "roles: police" in line and "last used 20" in line and "expires 20" in line

    assert mash("--revoke-id", token_id).output.strip() == f"Token {token_id} of dual is revoked."
    assert use("GET", "/api/v1/tasks").status_code == 401
    assert "revoked" in mash(dual, "--list").output

    second = bearer(app, mash(dual).output.strip())  # all of dual's roles, 90 days by default
    assert second("GET", "/api/v1/tasks").status_code == 200
    assert mash(dual, "--revoke").output.strip() == "Revoked 1 token(s)."
    assert second("GET", "/api/v1/tasks").status_code == 401

    with db.unit_of_work(write=False) as session:
        actions = [(e.action, e.username.startswith("cli:")) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("auth.token%-%")).where(
                AuditEvent.action != "auth.token-used").order_by(AuditEvent.id))]
        default = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert ("auth.token-minted", True) in actions and ("auth.token-revoked", True) in actions
    assert ("auth.tokens-revoked", True) in actions
    assert default.scope == ["mash-manager", "police"]
    assert timedelta(days=89) < default.expires_at - default.created_at <= timedelta(days=90, minutes=1)


def test_mash_token_refuses_roles_the_user_lacks_and_unknown_users(mash):
    refused = mash("police", "--role", "mash-manager")
    assert refused.exit_code == 1 and "police does not hold mash-manager" in refused.output
    assert mash("nobody").exit_code == 1
    assert mash("--revoke-id", "99999").exit_code == 1
