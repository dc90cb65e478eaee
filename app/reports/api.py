"""GET /api/v1/reports/mi-dataset: the row-level MI dataset for performance systems, and its OpenAPI description.

JSON by default, CSV for ``Accept: text/csv``. The period defaults as on the page.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, g, jsonify, request
from sqlalchemy.orm import Session

from app.api import bp
from app.api.openapi import responses
from app.audit.operations import record
from app.core.actor import Actor
from app.core.calendar import LONDON
from app.core.clock import now
from app.core.codes import AGENCY_LABELS, CHANNELS, OUTCOMES, PRESENTING_FACTORS, SOURCE_AGENCY
from app.core.db import get_db
from app.core.errors import ValidationFailed
from app.core.vocabulary import RAG_CODES
from app.reports import dataset
from app.reports.filters import read_filters


def mi_dataset_rows(session: Session, args: Mapping[str, str], actor: Actor, *, as_csv: bool) -> list[dict]:
    """The rows; bad filters are a 422 naming the query argument. Audited in the caller's session."""
    filters, errors = read_filters(args, now().astimezone(LONDON).date())
    if errors:
        raise ValidationFailed(errors)
    rows = dataset.mi_dataset(session, filters)
    record(session, actor, "reports.exported", details={
        "via": "api", "table": "mi-dataset", "format": "csv" if as_csv else "json", **filters.as_args(),
        "rows": len(rows)})
    return rows


@bp.get("/reports/mi-dataset")
def mi_dataset():
    """The row-level MI dataset: ?from=YYYY-MM-DD&to=YYYY-MM-DD (&source=&rag=&channel=). JSON, or CSV for
    Accept: text/csv. Audited."""
    as_csv = request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
    db = get_db()
    rows = mi_dataset_rows(db.session, request.args, g.actor, as_csv=as_csv)
    return current_app.response_class(dataset.csv_text(rows), mimetype="text/csv") if as_csv else jsonify(rows)


def _nullable(schema: dict) -> dict:
    return {"type": [schema["type"], "null"], **({"enum": [*schema["enum"], None]} if "enum" in schema else {})}


RAG = {"type": "string", "enum": list(RAG_CODES)}
MI_ROW = {
    "type": "object",
    "additionalProperties": False,
    "required": ["contact_id", "reference", "received_at", "source_code", "source_label", "source_agency", "channel",
                 "presenting_factors", "rag_before", "rag_after", "rag_movement", "outcome", "outcome_label",
                 "ssd_outcome_flag", "decided_at", "hours_to_decision", "working_hours_to_decision",
                 "within_timescale", "referral", "referral_date", "re_referral_within_12_months",
                 "referrals_in_last_12_months", "strategy_discussion", "section_47", "child_age_at_contact",
                 "child_gender"],
    "properties": {
        "contact_id": {"type": "integer"},
        "reference": {"type": ["string", "null"]},
        "received_at": {"type": "string", "format": "date-time"},
        "source_code": {"type": "string", "enum": list(SOURCE_AGENCY), "description": "CIN ReferralSource"},
        "source_label": {"type": ["string", "null"]},
        "source_agency": {"type": "string", "enum": list(AGENCY_LABELS)},
        "channel": {"type": "string", "description": f"One of {', '.join(CHANNELS)}"},
        "presenting_factors": {"type": "array", "items": {"type": "string", "enum": list(PRESENTING_FACTORS)},
                               "description": "CIN factor codes recorded at screening"},
        "rag_before": _nullable(RAG),
        "rag_after": _nullable(RAG),
        "rag_movement": _nullable({"type": "string", "enum": ["escalated", "de-escalated", "unchanged"]}),
        "outcome": _nullable({"type": "string", "enum": list(OUTCOMES)}),
        "outcome_label": {"type": ["string", "null"]},
        "ssd_outcome_flag": {"type": ["string", "null"], "description": "SSD contact outcome flag"},
        "decided_at": {"type": ["string", "null"], "format": "date-time"},
        "hours_to_decision": {"type": ["number", "null"]},
        "working_hours_to_decision": {"type": ["number", "null"]},
        "within_timescale": {"type": ["boolean", "null"],
                             "description": "Decided by the due time of the final RAG rating's timescale"},
        "referral": {"type": "boolean"},
        "referral_date": {"type": ["string", "null"], "format": "date-time",
                          "description": "The CIN referral date (when the decision made the contact a referral); "
                                         "null when not a referral"},
        "re_referral_within_12_months": {"type": ["boolean", "null"], "description": "Null when not a referral"},
        "referrals_in_last_12_months": {"type": ["integer", "null"], "minimum": 0,
                                        "description": "Annex A list 3; null when not a referral"},
        "strategy_discussion": {"type": "boolean"},
        "section_47": {"type": "boolean"},
        "child_age_at_contact": {"type": ["integer", "null"], "minimum": 0},
        "child_gender": {"type": ["string", "null"], "description": "CIN GenderCurrent code"},
    },
}


def openapi_paths() -> dict[str, dict]:
    def query(name: str, schema: dict, description: str) -> dict:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    ok = {"200": {"description": "One row per contact received in the period: codes, times and flags, never names, "
                                 "dates of birth, addresses or free text",
                  "content": {"application/json": {"schema": {"type": "array", "items": MI_ROW}},
                              "text/csv": {"schema": {"type": "string"}}}}}
    return {"/api/v1/reports/mi-dataset": {"get": {
        "summary": "The row-level MI dataset (MASH manager, operations manager). JSON, or CSV with Accept: text/csv",
        "operationId": "getMiDataset",
        "parameters": [
            query("from", {"type": "string", "format": "date"},
                  "First day of receipt (the contact date, Europe/London), inclusive; default: the 1st of the "
                  "month 11 months ago"),
            query("to", {"type": "string", "format": "date"}, "Last day (Europe/London), inclusive; default: today"),
            query("source", {"type": "string", "enum": list(AGENCY_LABELS)}, "Only contacts from this source agency"),
            query("rag", {"type": "string", "enum": list(RAG_CODES)}, "Only contacts with this final RAG rating"),
            query("channel", {"type": "string", "enum": list(CHANNELS)}, "Only contacts that came this way"),
        ],
        "responses": responses(ok, 401, 403, 422)}}}
