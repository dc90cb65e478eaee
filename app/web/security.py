"""Web hardening on every response: cookie flags, a nonce-based Content-Security-Policy, the usual
security headers (HSTS over HTTPS), trusted proxies, and refusal pages (CSRF, 404, 405, 413, 500) that
carry the same headers and never show a stack trace."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app.api.errors import refusal
from app.core.config import Settings

#: Scripts run only from this origin or inline with the request's nonce; no inline styles, no plugins,
#: no framing, forms post only here. bpmn-js pages load their bundle from /static, which 'self' covers.
CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"
NOT_FOUND = "Page not found."
#: Files that may be cached (by the browser only: they hold no personal data). Everything else is no-store.
STATIC_ENDPOINTS = frozenset({"static", "govuk_assets"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def allow_diagram_styles() -> None:
    """bpmn-js sets style attributes on the SVG it draws; a diagram page calls this to let it (attributes
    only: style sheets still come from this origin alone)."""
    g.csp_style_attributes = True


def csp_nonce() -> str:
    """This response's nonce, made on first use (an error page may be rendered before any hook ran)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def configure(app: Flask, settings: Settings) -> None:
    """Cookie flags and proxies. SameSite=Lax, not Strict: a signed-in person following a link to a case
    from an e-mail must not land on the sign-in page; cross-site POSTs carry no cookie either way, and
    every form also needs its CSRF token."""
    https = settings.https
    app.config.update(
        SESSION_COOKIE_NAME="__Host-mash-session" if https else "mash-session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        # The server session (app/auth/sessions.py) decides idle and absolute timeouts; the cookie itself
        # lives only as long as the browser does.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        PREFERRED_URL_SCHEME="https" if https else "http",
        # With Referrer-Policy: no-referrer browsers send no Referer, which Flask-WTF's HTTPS check needs;
        # the Sec-Fetch-Site check below and the SameSite cookie stand in for it.
        WTF_CSRF_SSL_STRICT=False,
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        # Flask's documented way to put middleware in front of the app.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    https = app.config["MASH_SETTINGS"].https

    @app.before_request
    def _refuse_cross_site_posts():
        # Browsers say where a request came from (Fetch Metadata); a form posted from another site is
        # refused whatever token it carries. Clients that send no such header rely on the token alone.
        if (request.method in _UNSAFE_METHODS and not request.path.startswith("/api/")
                and request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site")):
            raise CSRFError("The form was not sent from this service.")

    @app.after_request
    def _headers(response):
        policy = CSP.format(nonce=csp_nonce())
        if g.get("csp_style_attributes"):
            policy += "; style-src-attr 'unsafe-inline'"
        response.headers["Content-Security-Policy"] = policy + ("; upgrade-insecure-requests" if https else "")
        for name, value in HEADERS.items():
            response.headers[name] = value
        if https:
            response.headers["Strict-Transport-Security"] = HSTS
        if request.endpoint not in STATIC_ENDPOINTS and not (request.endpoint or "").endswith(".static"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def _csrf_refused(error: CSRFError):
        # Not audited: with SameSite cookies a forged post arrives without a session, so it names nobody,
        # and it changed nothing; logging it (no form data) is enough to spot a pattern.
        current_app.logger.warning("form refused on %s: %s", request.endpoint, error.description)
        return refusal_response(400, "The form could not be sent: it was open too long or did not come from this "
                                     "service. Go back, reload the page and try again. Nothing was saved.")

    @app.errorhandler(404)
    def _not_found(_exception: HTTPException):
        return refusal_response(404, NOT_FOUND)

    @app.errorhandler(405)
    def _method(error: HTTPException):
        response = current_app.make_response(refusal_response(405, "Method not allowed."))
        response.headers["Allow"] = ", ".join(sorted(getattr(error, "valid_methods", None) or []))
        return response

    @app.errorhandler(413)
    def _too_large(_exception: HTTPException):
        return refusal_response(413, "The request body is too large.")

    @app.errorhandler(500)
    def _server_error(_exception: HTTPException):
        return refusal_response(500, "Sorry, there is a problem with the service. Try again later.")


def refusal_response(status: int, message: str) -> ResponseReturnValue:
    """Every refusal the web gives outside an operation (access, CSRF, 404, 405, 413, 500): the GOV.UK error
    page, or under /api/ the API's error body."""
    if request.path.startswith("/api/"):
        return refusal(status, message)
    return render_template("error.html", status=status, message=message), status
