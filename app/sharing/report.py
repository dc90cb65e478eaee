"""The sharing record as a report: filters read from a query string, and the rows as JSON and CSV.

One shape for the page, the CSV and the API, so they cannot disagree. It carries the case reference,
codes, counts and whether a reason was recorded, never subjects' names or free text: the report goes
to people outside the hub (auditors, inspectors) and into spreadsheets.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.core.csv_export import csv_text as write_csv
from app.core.errors import FieldError
from app.core.lawful_bases import LawfulBases
from app.core.periods import read_choice, read_period
from app.core.vocabulary import CONSENT_STATUSES
from app.sharing.models import STAGES
from app.sharing.queries import ReportRow, SharingFilters

CSV_COLUMNS = (
    "decision_id", "case_reference", "stage", "decision", "recipient", "purpose", "consent_status",
    "reason_without_consent_recorded", "lawful_basis_art6", "lawful_basis_label", "condition_art9",
    "condition_label", "law_enforcement_part3", "subject_informed", "subject_informed_reason_recorded",
    "what_shared", "withheld", "identities_protected", "decided_by", "decided_at", "sent_by", "sent_at",
)


def read_filters(args: Mapping[str, str], bases: LawfulBases) -> tuple[SharingFilters, list[FieldError]]:
    """Filters from ``?from=&to=&stage=&consent=&lawful_basis=&case_id=``; a value that cannot be
    read is an error on that field (the page shows the error summary, the API answers 422)."""
    errors: list[FieldError] = []

    def choice(name: str, allowed, message: str) -> str | None:
        return read_choice(args, name, allowed, message, errors)

    date_from, date_to = read_period(args, errors)
    case_raw = (args.get("case_id") or "").strip()
    case_id = int(case_raw) if case_raw.isdigit() else None
    if case_raw and case_id is None:
        errors.append(FieldError("case_id", "The case id must be a whole number"))
    filters = SharingFilters(
        date_from=date_from, date_to=date_to,
        stage=choice("stage", STAGES, "Select a stage from the list"),
        consent=choice("consent", CONSENT_STATUSES, "Select a consent position from the list"),
        lawful_basis=choice("lawful_basis", [b.code for b in bases.bases], "Select a lawful basis from the list"),
        case_id=case_id)
    return filters, errors


def decision_json(row: ReportRow) -> dict:
    """One record for the API: codes and flags only."""
    d = row.decision
    return {
        "id": d.id, "case_id": d.case_id, "case_reference": row.reference, "task_id": d.task_id,
        "stage": d.stage, "decision": d.decision, "recipient": d.recipient, "purpose": d.purpose,
        "consent_status": d.consent_status, "reason_without_consent_recorded": bool(d.reason_without_consent),
        "lawful_basis_art6": d.lawful_basis_art6, "condition_art9": d.condition_art9,
        "law_enforcement_part3": d.law_enforcement_part3, "subject_informed": d.subject_informed,
        "subject_informed_reason_recorded": bool(d.subject_informed_reason),
        "what_shared": list(d.what_shared or []), "withheld": list(d.withheld or []),
        "identities_protected": d.identities_protected, "information_product": d.product is not None,
        "decided_by": d.decided_by, "decided_at": d.decided_at.isoformat(), "sent_by": d.sent_by,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None, "sent_method": d.sent_method,
    }


def csv_text(rows: Sequence[ReportRow], bases: LawfulBases) -> str:
    return write_csv(CSV_COLUMNS, [_csv_row(row, bases) for row in rows])


def _csv_row(row: ReportRow, bases: LawfulBases) -> tuple:
    d = row.decision
    return (d.id, row.reference, d.stage, d.decision, d.recipient or "", d.purpose or "", d.consent_status,
            _yes_no(bool(d.reason_without_consent)), d.lawful_basis_art6 or "",
            bases.label(d.lawful_basis_art6) if d.lawful_basis_art6 else "", d.condition_art9 or "",
            bases.label(d.condition_art9) if d.condition_art9 else "", _yes_no(d.law_enforcement_part3),
            "" if d.subject_informed is None else _yes_no(d.subject_informed),
            _yes_no(bool(d.subject_informed_reason)), ";".join(d.what_shared or []),
            ";".join(f"{w['agency']}:{w['reason']}" for w in d.withheld or []), d.identities_protected,
            d.decided_by, d.decided_at.isoformat(), d.sent_by or "", d.sent_at.isoformat() if d.sent_at else "")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"

