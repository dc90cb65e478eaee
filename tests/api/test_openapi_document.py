"""Partner systems code against /api/v1/openapi.json: the answers they get must match it."""
from __future__ import annotations

from jsonschema import Draft202012Validator

from tests import factories as f
from tests.api.test_referral_walks import complete, report


def test_a_case_with_deadlines_and_a_re_rating_match_the_published_case_schema(api):
    document = api("mash-manager").get("/api/v1/openapi.json").get_json()
    validator = Draft202012Validator(document["components"]["schemas"]["Case"])
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("green", ["police"]))
    rerated = api("mash-manager").post(f"/api/v1/cases/{case_id}/rag", json={"rag": "red", "rag_rationale": "New."})
    case = api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()
    for body in (rerated.get_json(), case):
        errors = [e.message for e in validator.iter_errors(body)]
        assert errors == []
    # The decision's deadline (a RAG clock) is armed at screening, beside the checks' and screening's own.
    assert {d["kind"] for d in case["deadlines"]} == {"statutory", "check", "rag"}
    assert "/api/v1/cases/{case_id}/rag" in document["paths"]
    assert "/api/v1/clock" not in document["paths"]  # only the training sandbox has one
