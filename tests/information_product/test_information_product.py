"""The hub's information product of a decided case, as a page and as a PDF: every section with its facts,
the marking on every page, access for the hub's decision makers only, and every view audited."""
from __future__ import annotations

import html
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.information_product.record import HUB_ONLY_MARKING, MARKING, SECTIONS
from tests import factories as f
from tests.information_product.walks import (
    ANALYSIS,
    HEALTH_FINDINGS,
    POLICE_FINDINGS,
    REVIEW_RATIONALE,
    disseminated,
    do,
    reported,
)


def reference(db, case_id: int) -> str:
    with db.unit_of_work(write=False) as session:
        return session.get(Case, case_id).reference


def section(page: str, n: int) -> str:
    """The text of one numbered section of the page, tags removed."""
    start = page.index(f'id="section-{n}"')
    end = page.index(f'id="section-{n + 1}"') if n < len(SECTIONS) else len(page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start:end])))


def test_the_page_has_every_section_with_its_facts(db, web):
    case_id = disseminated(db)
    response = web("mash-manager").get(f"/cases/{case_id}/information-product")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    ref = reference(db, case_id)
    assert page.count(f"{MARKING} · {ref}") >= 2  # top, running print header, end
    assert [int(n) for n in re.findall(r'id="section-(\d)"', page)] == list(range(1, len(SECTIONS) + 1))
    assert f'href="/cases/{case_id}/information-product.pdf"' in page

    summary = section(page, 1)
    assert "Zoë Dubois" in summary and "1 Jun 2015" in summary and "Child" in summary
    assert "Jo Teacher, DSL, Hillside Primary" in summary and "DfE code 2A" in summary and "Online form" in summary
    assert "Child disclosed being hit at home" in summary
    assert "4 Jan 2027 09:00" in summary  # received (January: London is on UTC)

    chronology = section(page, 2)
    assert ref in chronology and "(this contact)" in chronology and "Hub only" in chronology

    findings = section(page, 3)
    police, health = findings.index("Police"), findings.index("Health")
    assert police < health  # returned order
    assert POLICE_FINDINGS in findings and HEALTH_FINDINGS in findings
    # Prominent under the agency's name and again as the return's handling; never on an unrestricted return.
    assert findings[police:health].count(HUB_ONLY_MARKING) == 2 and "Hub only" in findings[police:health]
    assert HUB_ONLY_MARKING not in findings[health:] and "Handling No restriction" in findings[health:]
    assert "Neighbour at number 3" in findings
    assert "On time" in findings[police:health] and "Late" in findings[health:]

    analysis = section(page, 4)
    assert ANALYSIS in analysis and "Rated amber on the information in the contact." in analysis
    assert "16A – Neglect" in analysis and "3B – Domestic violence – parent or carer the subject" in analysis

    rag = section(page, 5)
    assert "Before the MASH Amber" in rag and "After the MASH Red" in rag and "Escalated" in rag
    assert REVIEW_RATIONALE in rag and "Amber → Red" in rag

    decision = section(page, 6)
    assert "Child and family (section 17) assessment" in decision
    assert "Outcome s17-assessment on the evidence gathered." in decision
    assert "Decided 11 Jan 2027 11:30 by MASH manager (demo)" in decision
    assert "Additional referrals Police investigation" in decision

    dissemination = section(page, 7)
    assert "Police" in dissemination and "Police return (marked for the hub only)" in dissemination
    assert "Health return" in dissemination  # shared with the recipients
    # The MASH manager decided who receives it; business support sent it (#18).
    assert "Decided by MASH manager (demo); sent 11 Jan 2027 12:00 by Business support (demo) (Secure email)" \
        in dissemination
    assert "Thank you; we have decided what happens next." in dissemination and "Email" in dissemination


def test_the_pdf_renders_every_section_with_the_marking_on_every_page(db, web):
    case_id = disseminated(db)
    ref = reference(db, case_id)
    response = web("social-worker").get(f"/cases/{case_id}/information-product.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{ref}-information-product.pdf"'
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 1
    for number, text in enumerate(pages, start=1):
        assert text.count(MARKING) >= 2 and ref in text, f"page {number} lacks its header or footer marking"
        assert f"Page {number} of {len(pages)}" in text
    text = "\n".join(pages)
    for n, title in enumerate(SECTIONS, start=1):
        assert f"{n}. {title}" in text
    assert "Zoë" in text
    assert POLICE_FINDINGS.split(" (")[0] in " ".join(text.split())
    assert "Escalated" in text


def test_an_undecided_case_says_there_is_no_product_yet(db, web):
    case_id = reported(db)
    for path in (f"/cases/{case_id}/information-product", f"/cases/{case_id}/information-product.pdf"):
        response = web("mash-manager").get(path)
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "There is no information product yet" in page and "Zoë" not in page
    assert web("mash-manager").get("/cases/999999/information-product").status_code == 404


def test_only_the_hubs_decision_makers_may_read_it(db, web):
    case_id = disseminated(db)
    for role in ("police", "health", "business-support", "referrer", "auditor"):
        for suffix in ("", ".pdf"):
            response = web(role).get(f"/cases/{case_id}/information-product{suffix}")
            assert response.status_code == 403, (role, suffix)
            assert POLICE_FINDINGS not in response.get_data(as_text=True)
    case_page = web("mash-manager").get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="information-product-link"' in case_page
    assert 'id="information-product-link"' not in web("police").get(f"/cases/{case_id}").get_data(as_text=True)


def test_every_view_is_audited_with_its_format_and_counts_as_seeing_the_case(db, web):
    case_id = disseminated(db)
    client = web("ops-manager")
    client.get(f"/cases/{case_id}/information-product")
    client.get(f"/cases/{case_id}/information-product.pdf")
    with db.unit_of_work(write=False) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                               AuditEvent.action == "information-product.viewed")))
    assert [(e.username, e.details) for e in events] == [("ops-manager", {"format": "html"}),
                                                        ("ops-manager", {"format": "pdf"})]
    viewers = client.get(f"/cases/{case_id}").get_data(as_text=True)
    row = re.search(r'<td class="govuk-table__cell">Ops manager \(demo\).*?</tr>', viewers, re.S).group(0)
    assert '<td class="govuk-table__cell">3</td>' in row  # two product views and this case page


def test_an_immediate_risk_contact_has_a_product_from_the_moment_it_is_decided(db, web):
    """A confirmed immediate risk decides a strategy discussion at once: nothing screened, checked or reviewed yet."""
    case_id = reported(db, immediate_risk=True)
    do(db, case_id, "confirm_immediate_risk", "mash-manager", f.confirm_immediate_risk())
    client = web("social-worker")
    page = client.get(f"/cases/{case_id}/information-product").get_data(as_text=True)
    assert "Strategy discussion" in section(page, 6)
    assert "No agency checks were made." in section(page, 3)
    assert "Not screened (immediate-risk route)" in section(page, 4) and "No MASH review recorded" in section(page, 4)
    assert "Before the MASH Red" in section(page, 5) and "Unchanged" in section(page, 5)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get(f"/cases/{case_id}/information-product.pdf").data)).pages)
    assert "No agency checks were made." in text
