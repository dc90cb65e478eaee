"""Pages: the dead letters for the operations manager (/operations/notifications), each person's choice of
immediate messages or a digest (/account/notifications), and, only with MASH_DEV_MAIL=1, what the local mail
sink received (/dev/mail, its own blueprint, not registered otherwise)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.core.db import get_db, run_in_transaction
from app.core.errors import FieldError, ValidationFailed
from app.notifications import devmail, operations, queries
from app.notifications.models import DELIVERIES, DIGEST, IMMEDIATE
from app.web.refusals import go_back_to, on_refusal

bp = Blueprint("notifications", __name__, template_folder="templates")
dev_mail_bp = Blueprint("dev_mail", __name__, template_folder="templates")

DELIVERY_CHOICES = [
    (IMMEDIATE, "Each message as it happens",
     "You get an e-mail for every new task, reminder and alert as soon as it happens."),
    (DIGEST, "A digest every 30 minutes",
     "Messages that are not urgent are gathered into one e-mail every 30 minutes."),
]


# ----------------------------------------------------------------------------- dead letters
@bp.get("/operations/notifications")
def dead_letters() -> ResponseReturnValue:
    session = get_db().session
    letters = queries.dead_letters(session)
    return render_template("notifications/dead_letters.html", letters=letters,
                           staff=queries.staff_names(session, letters), counts=queries.count_by_status(session))


@bp.post("/operations/notifications/<int:message_id>/retry")
def retry(message_id: int) -> ResponseReturnValue:
    go_back_to(url_for("notifications.dead_letters"))
    run_in_transaction(operations.retry_dead_letter, message_id, g.actor)
    flash(f"Message {message_id} will be sent again in the next few seconds.", "success")
    return redirect(url_for("notifications.dead_letters"))


@bp.post("/operations/notifications/<int:message_id>/discard")
def discard(message_id: int) -> ResponseReturnValue:
    go_back_to(url_for("notifications.dead_letters"))
    run_in_transaction(operations.discard_dead_letter, message_id, g.actor)
    flash(f"Message {message_id} is discarded and will not be sent.", "success")
    return redirect(url_for("notifications.dead_letters"))


# ----------------------------------------------------------------------------- a person's own choice
def _settings_page(chosen: str | None, errors: list[FieldError]) -> ResponseReturnValue:
    session = get_db().session
    page = render_template("notifications/settings.html", chosen=chosen, errors=errors, choices=DELIVERY_CHOICES,
                           email=g.user.email, held=queries.held_for(session, g.user.id))
    return (page, 422) if errors else page


@bp.route("/account/notifications", methods=["GET", "POST"])
def settings() -> ResponseReturnValue:
    if request.method == "GET":
        return _settings_page(queries.delivery_of(get_db().session, g.user.id), [])
    chosen = request.form.get("delivery", "")
    on_refusal(lambda refusal: _settings_page(chosen or None, refusal.errors
                                              if isinstance(refusal, ValidationFailed) else []), ValidationFailed)
    if chosen not in DELIVERIES:
        raise ValidationFailed([FieldError("delivery", "Select how you want to get messages that are not urgent")])
    run_in_transaction(operations.choose_delivery, g.user.id, chosen, g.actor)
    flash("Your notification settings are saved.", "success")
    return redirect(url_for("notifications.settings"))


# ----------------------------------------------------------------------------- the development sink
@dev_mail_bp.get("/dev/mail")
def index() -> ResponseReturnValue:
    instance_path = current_app.config["MASH_SETTINGS"].instance_path
    return render_template("notifications/dev_mail.html", received=devmail.received(instance_path))
