"""create_app(): settings, database, templates, security headers and every blueprint with its access rule."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from app import models as _models  # noqa: F401  (every table, so foreign keys resolve)
from app.core.config import Settings, load_settings
from app.core.db import init_db

csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    here = Path(__file__).parent
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=str(here / "static"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MASH_SETTINGS=settings,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    db = init_db(settings.database_url)
    from app.notifications import catalogue as notification_words
    notification_words.use(notification_words.load(settings.processes_dir))  # refused at start, with its line
    from app.training.sandbox import check_database
    check_database(db.engine, settings)  # the sandbox on a training database only, live work never on one
    from app.web import refusals, unit_of_work
    unit_of_work.register(app)  # first, so every other hook runs inside the request's unit of work
    refusals.register(app)

    from app.web.templating import configure_templates
    configure_templates(app, here / "templates")  # StrictUndefined for ours; GOV.UK Frontend's keep theirs
    from app.web.filters import register_filters
    register_filters(app)

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    _register_security(app, settings)
    from app.web.row_ids import register_row_ids
    register_row_ids(app)
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
    from app.api.routes import bp as api_bp  # with every feature's API routes on it
    from app.audit.views import bp as audit_bp
    from app.auth.views import bp as auth_bp
    from app.cases.views import bp as cases_bp
    from app.concerns.views import bp as concerns_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.disagreements.views import bp as disagreements_bp
    from app.inbox.views import bp as inbox_bp
    from app.information_product.views import bp as information_product_bp
    from app.intake.views import bp as intake_bp
    from app.maps.views import bp as maps_bp
    from app.marac.views import bp as marac_bp
    from app.modeler.views import bp as modeler_bp
    from app.need_to_know.views import bp as need_to_know_bp
    from app.notifications.views import bp as notifications_bp
    from app.people.views import bp as people_bp
    from app.process_models.versions_views import bp as versions_bp
    from app.process_models.views import bp as process_models_bp
    from app.reports.views import bp as reports_bp
    from app.rota.views import bp as rota_bp
    from app.search.views import bp as search_bp
    from app.sharing.views import bp as sharing_bp
    from app.training.views import bp as training_bp
    from app.users.views import bp as users_bp
    from app.web.access import enforce_access, record_refused_access
    from app.web.views import bp as web_bp

    app.before_request(enforce_access)
    app.after_request(record_refused_access)
    for blueprint in (web_bp, auth_bp, intake_bp, inbox_bp, cases_bp, dashboard_bp, audit_bp, sharing_bp,
                      process_models_bp, versions_bp, modeler_bp, maps_bp, training_bp, people_bp, concerns_bp,
                      reports_bp, information_product_bp, need_to_know_bp, users_bp, disagreements_bp,
                      notifications_bp, search_bp, rota_bp, marac_bp):
        app.register_blueprint(blueprint)
    from app.domestic_abuse.views import bp as domestic_abuse_bp  # the daily domestic abuse triage
    app.register_blueprint(domestic_abuse_bp)
    from app.lado.views import bp as lado_bp  # allegations against people who work with children
    app.register_blueprint(lado_bp)
    from app.adults.views import bp as adults_bp  # adults at risk: the concern page, the record on the case page
    app.register_blueprint(adults_bp)
    from app.missing.views import bp as missing_bp  # missing children: the notification page, the case's episode
    app.register_blueprint(missing_bp)
    from app.core.config import mail_settings
    if mail_settings().dev_mail:  # /dev/mail does not exist unless the local mail sink does
        from app.notifications.views import dev_mail_bp
        app.register_blueprint(dev_mail_bp)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: no CSRF exposure
    app.register_blueprint(api_bp)


def _register_security(app: Flask, settings: Settings) -> None:
    """Cookies, headers, CSRF, server-side sessions and clean logs: app/web/security.py, app/web/access.py,
    app/core/logging.py."""
    from app.core.logging import install_log_hygiene
    from app.web import security
    from app.web.access import load_user

    install_log_hygiene()
    security.configure(app, settings)
    security.register(app)
    login_manager.user_loader(load_user)
