"""The information product as a PDF, laid out with ReportLab's Platypus from the same CaseRecord as the page.

Fonts are the Bitstream Vera TTFs that ship inside ReportLab, embedded in the file: accented names
(Zoë, Siobhán) print as written and nothing depends on the server's fonts. Vera covers Latin-1 and
the common punctuation, not arrows or symbols, so the layout sticks to words. Every page carries the
marking, the case reference and "page X of Y" (a two-pass canvas counts the pages first).
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.core.calendar import london
from app.core.vocabulary import rag_label
from app.information_product.record import HUB_ONLY_MARKING, MARKING, SECTIONS, CaseRecord

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONT, BOLD = "MashVera", "MashVera-Bold"
MARGIN = 18 * mm


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


_register_fonts()
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=4)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8.5, leading=10.5, spaceAfter=0)
CELL_BOLD = ParagraphStyle("cell-bold", parent=CELL, fontName=BOLD)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=20, leading=24, spaceAfter=8)
H2 = ParagraphStyle("h2", parent=BODY, fontName=BOLD, fontSize=14, leading=18, spaceBefore=4, spaceAfter=6)
H3 = ParagraphStyle("h3", parent=BODY, fontName=BOLD, fontSize=11, leading=14, spaceBefore=6, spaceAfter=4)
WARNING = ParagraphStyle("warning", parent=BODY, fontName=BOLD, textColor=colors.HexColor("#d4351c"))


def _p(text: str | None, style: ParagraphStyle = CELL) -> Paragraph:
    """Free text as a paragraph: escaped (a "<" in a finding is text, not markup), line breaks kept."""
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _when(value) -> str:
    return london(value) if value else "Not recorded"


def _rag(rag: str | None) -> str:
    return rag_label(rag) if rag else "Not rated"


def _key_values(rows: list[tuple[str, str]], width: float) -> Table:
    table = Table([[_p(key, CELL_BOLD), _p(value)] for key, value in rows], colWidths=[width * 0.28, width * 0.72])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 4), ("LEFTPADDING", (0, 0), (-1, -1), 2)]))
    return table


def _grid(header: list[str], rows: list[list[str]], widths: list[float]) -> Table:
    table = Table([[_p(h, CELL_BOLD) for h in header]] + [[_p(cell) for cell in row] for row in rows],
                  colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    return table


def _heading(n: int) -> Paragraph:
    return Paragraph(f"{n}. {escape(SECTIONS[n - 1])}", H2)


def _story(product: CaseRecord, width: float) -> list:
    s, a, d = product.summary, product.analysis, product.decision
    story: list = [
        Paragraph(f"{MARKING} · {escape(product.reference)}", WARNING),
        Paragraph("MASH information product", TITLE),
        _p(f"Prepared {london(product.prepared_at)} by {product.prepared_by}. This is the hub's own record: it holds "
           "every agency's findings, including those not to be disclosed outside the hub.", BODY),
    ]
    if product.anonymised_at:
        story.append(_p(f"This contact was anonymised on {london(product.anonymised_at, '%-d %B %Y')}.", BODY))

    story += [_heading(1), Paragraph("The referrer's account", H3),
              _p("As the referrer reported it. The hub's own judgement is in sections 4 to 6.", SMALL),
              _key_values([("Referrer", s.referrer), ("Source", s.source), ("Channel", s.channel),
                           ("Received", _when(s.received_at)),
                           ("Immediate risk reported", "Yes" if s.immediate_risk else "No"),
                           ("Consent (referrer)", s.consent or "Not recorded"),
                           ("The concern as reported", s.concern or "Not recorded")], width),
              Paragraph("Who it is about", H3),
              _grid(["Name", "Role", "Date of birth"],
                    [[x.name, x.role, x.date_of_birth.strftime("%-d %b %Y") if x.date_of_birth else "Not known"]
                     for x in s.subjects], [width * 0.5, width * 0.2, width * 0.3])]

    story += [PageBreak(), _heading(2)]
    if product.chronology:
        story.append(_grid(["When", "Contact", "What", "From", "Detail"],
                           [[london(e.at), e.reference + (" (this contact)" if e.this_case else ""), e.kind,
                             e.agency or "",
                             e.summary + (" [Hub only]" if e.restricted else "")] for e in product.chronology],
                           [width * 0.15, width * 0.17, width * 0.14, width * 0.12, width * 0.42]))
    else:
        story.append(_p("Nothing is recorded.", BODY))

    story += [PageBreak(), _heading(3)]
    for f in product.findings:
        block: list = [Paragraph(escape(f.agency) + (" – HUB ONLY" if f.hub_only else ""), H3)]
        if f.hub_only:
            block.append(_p(HUB_ONLY_MARKING + ".", WARNING))
        rows = [("Requested", _when(f.requested_at)), ("Due", _when(f.due_at)),
                ("Returned", f"{london(f.returned_at)} by {f.returned_by}"), ("On time", f.timeliness),
                ("Findings", "Nothing known" if f.nothing_known else (f.findings or "")),
                ("Handling", HUB_ONLY_MARKING if f.hub_only else "No restriction")]
        if f.restriction_note:
            rows.append(("Handling note", f.restriction_note))
        if f.third_parties_to_protect:
            rows.append(("Third parties to protect", f.third_parties_to_protect))
        story += [KeepTogether([*block, _key_values(rows, width)]), Spacer(1, 6)]
    if not product.findings:
        story.append(_p("No agency checks were made.", BODY))

    story += [PageBreak(), _heading(4), _key_values([
        ("Presenting factors", "; ".join(f"{code} – {label}" for code, label in a.presenting_factors) or "None coded"),
        ("Screening", f"{a.screening_rationale or ''} ({london(a.screened_at)}, {a.screened_by})" if a.screened_at
         else "Not screened (immediate-risk route)"),
        ("MASH review analysis",
         f"{a.review_analysis or ''} ({london(a.reviewed_at)}, {a.reviewed_by})" if a.reviewed_at
         else "No MASH review recorded")], width)]

    story += [Spacer(1, 10), _heading(5),
              _key_values([("Before the MASH", _rag(product.rag_initial)), ("After the MASH", _rag(product.rag_final)),
                           ("Movement", product.rag_movement)], width),
              Paragraph("Every rating, with who, when and why", H3),
              _grid(["When", "Change", "By", "Why"],
                    [[london(r.at), (f"{_rag(r.from_rag)} to " if r.from_rag else "") + _rag(r.to_rag),
                      r.by + (f" ({r.step})" if r.step else ""), r.rationale] for r in product.rag_history],
                    [width * 0.17, width * 0.18, width * 0.25, width * 0.4])]

    rows = [("Outcome", d.outcome), ("Additional referrals", ", ".join(d.additional_referrals) or "None"),
            ("Rationale", d.rationale), ("Decided", f"{_when(d.decided_at)} by {d.decided_by}")]
    if d.strategy_outcome:
        rows.append(("Strategy discussion outcome", d.strategy_outcome))
    story += [PageBreak(), _heading(6), _key_values(rows, width)]
    for sd in d.strategy_discussions:
        rows = [("Attendees", sd.attendees), ("Outcome", sd.outcome), ("Summary", sd.summary),
                ("Recorded by", sd.recorded_by)] + ([("Actions", sd.actions)] if sd.actions else [])
        story += [Paragraph(f"Strategy discussion held {sd.held_on.strftime('%-d %b %Y')}", H3),
                  _key_values(rows, width)]

    story += [Spacer(1, 10), _heading(7)]
    if product.dissemination:
        story.append(_grid(
            ["When and who", "Recipient", "Shared", "Left out", "Lawful basis", "Consent"],
            [[f"{london(x.decided_at)}\n{x.when_and_who}\n{x.stage}",
              x.recipient + (f"\nFor: {x.purpose}" if x.purpose else ""),
              x.what_shared if x.shared else "Nothing shared", x.withheld, x.lawful_basis,
              x.consent + (f": {x.reason_without_consent}" if x.reason_without_consent else "")
              + (f"\nChild and family told: {x.subject_informed}" if x.subject_informed else "")]
             for x in product.dissemination],
            [width * w for w in (0.16, 0.15, 0.18, 0.17, 0.17, 0.17)]))
    else:
        story.append(_p("No sharing decisions are recorded.", BODY))
    story.append(Paragraph("Feedback to the referrer", H3))
    if product.feedback:
        story.append(_grid(["When", "How", "By", "What the referrer was told"],
                           [[london(fb.sent_at), fb.method, fb.sent_by, fb.summary] for fb in product.feedback],
                           [width * 0.17, width * 0.15, width * 0.18, width * 0.5]))
    else:
        story.append(_p("The referrer has not been given feedback yet.", BODY))
    story += [Spacer(1, 12),
              Paragraph(f"{MARKING} · {escape(product.reference)} · end of the information product", WARNING)]
    return story


def _numbered_canvas(reference: str, prepared: str):
    """A canvas that holds its pages until the end, so each can say "page X of Y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - ReportLab's own method name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, len(self._pages))
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = A4
            self.setFillColor(colors.HexColor("#d4351c"))
            self.setFont(BOLD, 9)
            self.drawString(MARGIN, height - 11 * mm, MARKING)
            self.setFillColor(colors.black)
            self.drawRightString(width - MARGIN, height - 11 * mm, reference)
            self.setFont(FONT, 8)
            self.drawString(MARGIN, 9 * mm, f"{MARKING} · {reference} · prepared {prepared}")
            self.drawRightString(width - MARGIN, 9 * mm, f"Page {number} of {total}")

    return NumberedCanvas


def render_pdf(product: CaseRecord) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=18 * mm,
                                 bottomMargin=16 * mm, title=f"MASH information product {product.reference}",
                                 author=product.prepared_by, subject=MARKING, creator="MASH case work")
    document.build(_story(product, document.width),
                   canvasmaker=_numbered_canvas(product.reference, london(product.prepared_at)))
    return buffer.getvalue()
