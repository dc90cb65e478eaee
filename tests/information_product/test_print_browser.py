"""The information product prints from a browser without JavaScript: the product alone, each section on
its own page, the marking and reference on every printed page."""
from __future__ import annotations

import io

from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from app.information_product.record import MARKING, SECTIONS
from tests.browser.test_hub_journey import Person
from tests.information_product.walks import disseminated


def test_the_product_prints_without_javascript(browser: Browser, live_server, db):
    case_id = disseminated(db)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        who = Person(page, live_server, "mash-manager")
        who.sign_in()
        who.goto(f"/cases/{case_id}")
        who.click(page.locator("#information-product-link").get_by_role("link", name="HTML"))
        reference = page.locator(".govuk-caption-l").inner_text()
        page.emulate_media(media="print")
        expect(page.locator(".govuk-service-navigation")).to_be_hidden()
        expect(page.locator("#download-pdf")).to_be_hidden()
        expect(page.locator(".ip-marking--running")).to_be_visible()
        printed = PdfReader(io.BytesIO(page.pdf(format="A4")))
        texts = [p.extract_text() for p in printed.pages]
        assert len(texts) >= len(SECTIONS)
        assert all(MARKING in t and reference in t for t in texts), "a printed page lacks the marking"
        assert "1. " + SECTIONS[0] in texts[0]
        for n, title in enumerate(SECTIONS[1:], start=2):  # each later section starts a page of its own
            assert any(t.startswith(f"{n}. {title}") for t in texts), title
        assert "Sign out" not in "".join(texts) and "/cases/" not in "".join(texts)
        assert who.console_errors == []
    finally:
        context.close()
