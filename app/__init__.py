"""create_app(): settings, database, templates, security headers and every blueprint with its access rule."""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, render_template, send_from_directory, session
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from app.core.config import Settings, load_settings
from app.core.db import init_db
from app import models as _models  # noqa: F401,E402  (every table, so foreign keys resolve)

csrf = CSRFProtect()
login_manager = LoginManager()

CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    here = Path(__file__).parent
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=str(here / "static"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MASH_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    db = init_db(settings.database_url)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(here / "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")
    from app.web.filters import register_filters
    register_filters(app)

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.auth.models import User
        return db.session.get(User, int(user_id))

    _register_security(app)
    _register_blueprints(app)

    @app.teardown_appcontext
    def _remove_session(_exc):
        db.remove()

    @app.route("/assets/<path:filename>")
    def govuk_assets(filename: str):
        # govuk-frontend.min.css hard-codes /assets/fonts/... and /assets/images/...
        return send_from_directory(here / "static" / "govuk" / "assets", filename, max_age=86400)
    return app


def _register_blueprints(app: Flask) -> None:
    from app.api.views import bp as api_bp
    from app.auth.access import enforce_access
    from app.auth.views import bp as auth_bp
    from app.cases.views import bp as cases_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.inbox.views import bp as inbox_bp
    from app.intake.views import bp as intake_bp
    from app.web.views import bp as web_bp

    app.before_request(enforce_access)
    for blueprint in (web_bp, auth_bp, intake_bp, inbox_bp, cases_bp, dashboard_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: no CSRF exposure
    app.register_blueprint(api_bp)


def _register_security(app: Flask) -> None:
    @app.before_request
    def _nonce_and_idle_timeout():
        g.csp_nonce = secrets.token_urlsafe(16)
        session.permanent = True

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=g.get("csp_nonce", "")))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(404)
    def _not_found(_error):
        from app.auth.access import is_api_request
        if is_api_request():
            return {"errors": [{"field": None, "message": "Not found."}]}, 404
        return render_template("error.html", status=404, message="Page not found."), 404

    @app.errorhandler(413)
    def _too_large(_error):
        return {"errors": [{"field": None, "message": "The request body is too large."}]}, 413

    @app.errorhandler(405)
    def _method(_error):
        return {"errors": [{"field": None, "message": "Method not allowed."}]}, 405
