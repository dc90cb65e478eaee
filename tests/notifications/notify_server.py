"""A local stand-in for GOV.UK Notify: the endpoint the Python client calls to send an e-mail
(POST /v2/notifications/email), with Notify's JWT authentication (HS256, ``iss`` the service id, ``iat`` within
30 seconds), its validation of the request, and its answers (201, 400, 403, 429/500 when told to fail)."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"mash_test-{SERVICE_ID}-{SECRET}"


@dataclass
class FakeNotify:
    templates: set[str]
    sent: list[dict] = field(default_factory=list)
    fail_with: int | None = None
    url: str = ""

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict]:
        if handler.path != "/v2/notifications/email":
            return 404, {"errors": [{"error": "NotFound", "message": "Not found"}]}
        bearer = handler.headers.get("Authorization", "")
        if not bearer.startswith("Bearer "):
            return 401, {"errors": [{"error": "AuthError", "message": "Unauthorized: authentication token must be "
                                                                      "provided"}]}
        try:
            claims = jwt.decode(bearer[7:], SECRET, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.InvalidTokenError:
            return 403, {"errors": [{"error": "AuthError", "message": "Invalid token: signature"}]}
        if claims.get("iss") != SERVICE_ID or abs(time.time() - int(claims.get("iat", 0))) > 30:
            return 403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]}
        if self.fail_with:
            return self.fail_with, {"errors": [{"error": "Exception", "message": "Internal server error"}]}
        body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", 0))) or b"{}")
        if body.get("template_id") not in self.templates:
            return 400, {"errors": [{"error": "BadRequestError", "message": "Template not found"}]}
        if "@" not in str(body.get("email_address", "")):
            return 400, {"errors": [{"error": "ValidationError", "message": "email_address Not a valid email"}]}
        notification_id = str(uuid.uuid4())
        self.sent.append(body | {"id": notification_id})
        return 201, {"id": notification_id, "reference": body.get("reference"),
                     "content": {"subject": "", "body": "", "from_email": "mash@notifications.service.gov.uk"},
                     "uri": f"{self.url}/v2/notifications/{notification_id}",
                     "template": {"id": body["template_id"], "version": 1,
                                  "uri": f"{self.url}/v2/template/{body['template_id']}"}}


def serve(fake: FakeNotify) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status, payload = fake.answer(self)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
