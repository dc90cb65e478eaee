"""The JSON API fuzzed from its own OpenAPI document (schemathesis), in-process over WSGI, with a valid token.

Every operation gets schema-valid requests and schema-violating ones. Whatever arrives, the answer is never
a 5xx, its status is one the document lists for the operation, its content type and body match the document;
and a request body the document forbids is refused with a 4xx. Query strings are exempt from that last check
only: an empty ``?from=`` means "no filter" (the HTML filter forms send empty fields), so schemathesis'
"empty string violates the date format" is not a bug.

Nothing is excluded: the training clock (/api/v1/clock) is simply not in the document when training is off,
which is how this app runs outside the sandbox. schemathesis' pytest plugin is not used (its lazy loader
reads a node attribute pytest 9 removed); each operation runs as a plain hypothesis test instead.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from tests import factories as f

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Every role an API operation needs, so generated requests get past the outer wall and reach the code.
FUZZER_ROLES = ["mash-manager", "admin", "auditor", "ops-manager", "process-owner", "social-worker"]


@pytest.fixture
def fuzzed_app(app, api):
    """The app with one open case (so small ids reach real rows) and a user holding every API role."""
    from app.auth.operations import create_user, mint_token
    from app.core.db import get_db

    assert api("referrer").post("/api/v1/contacts", json=f.contact()).status_code == 201
    with get_db().unit_of_work() as session:
        user = create_user(session, "fuzzer", display_name="Fuzzer", agency="CSC", roles=FUZZER_ROLES)
        app.config["FUZZ_TOKEN"] = mint_token(session, user, "fuzzing")
    return app


def test_the_api_answers_what_its_document_promises(fuzzed_app):
    # Our token is sent on every request; schemathesis must not generate (or strip) the auth header itself,
    # nor invent query parameters the document does not name (unknown query parameters are ignored).
    config = SchemathesisConfig.from_dict({"generation": {"allow-extra-parameters": False,
                                                          "with-security-parameters": False}})
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app, config=config)
    headers = {"Authorization": f"Bearer {fuzzed_app.config['FUZZ_TOKEN']}"}
    failures, fuzzed = {}, set()
    for result in document.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            checks = CHECKS + ([negative_data_rejection] if operation.body and not mode.is_positive else [])
            try:
                _fuzz(operation.as_strategy(generation_mode=mode), headers, checks)
            except Unsatisfiable:
                assert not mode.is_positive, operation.label  # nothing to violate (no parameters, free text)
                continue
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - every operation's shrunk failure is collected
                failures[f"{operation.label} ({mode.value})"] = str(error)[:3000]
            fuzzed.add(operation.label)
    assert {"POST /api/v1/contacts", "POST /api/v1/tasks/{task_id}/complete", "POST /api/v1/cases/{case_id}/rag",
            "POST /api/v1/subject-access-exports", "POST /api/v1/process-models", "GET /api/v1/audit"} <= fuzzed
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def _fuzz(strategy, headers: dict, checks: list) -> None:
    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)
    run()
