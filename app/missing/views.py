"""Missing children's pages: the police's notification page, the coordinator's list of episodes (/missing), and the
episode and repeat-missing flag shown on the case page and at screening (template globals, within need to know)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from app.audit.operations import record
from app.core.db import get_db
from app.core.errors import NotFound
from app.intake.contact_types import MISSING_PERSON_NOTIFICATION
from app.intake.missing_persons import missing_person_form
from app.intake.views import typed_contact_page
from app.missing.episodes import ChildFlag, child_flags, episode_of
from app.missing.models import MissingEpisode
from app.missing.queries import episode_list, indicator_labels, offered_in_time, reads_interview, risk_label
from app.people.views import case_proposals

bp = Blueprint("missing", __name__, template_folder="templates")


@bp.route("/contacts/new/missing-person", methods=["GET", "POST"])
def new_notification() -> ResponseReturnValue:
    """The police's missing-person notification: the child, the episode, the risk grading and any return."""
    return typed_contact_page(MISSING_PERSON_NOTIFICATION, missing_person_form(get_db().session),
                              "missing/new_notification.html")


@bp.get("/missing")
def episodes() -> ResponseReturnValue:
    """The missing children coordinator's list: open episodes first, each with the child (within need to know), the
    risk grading, the return and the return home interview's progress; paged."""
    page = request.args.get("page", "1")
    if not page.isdigit():
        raise NotFound("There is no such page of missing episodes.")
    session = get_db().session
    listed = episode_list(session, g.actor, int(page))
    record(session, g.actor, "missing.listed", details={"shown": len(listed.rows), "page": listed.page})
    return render_template("missing/episodes.html", listed=listed)


@dataclass(frozen=True)
class EpisodeSection:
    """The case page's missing episode: what the reader's sight of the case shows."""

    episode: MissingEpisode
    identifiers: bool
    concern: bool
    #: What the child said at the return home interview (app.missing.queries.reads_interview).
    interview: bool

    @property
    def risk(self) -> str:
        return risk_label(self.episode.risk_grading)

    @property
    def indicators(self) -> list[str]:
        return indicator_labels(self.episode.exploitation_indicators)

    @property
    def in_time(self) -> bool | None:
        return offered_in_time(self.episode)


@bp.app_template_global()
def missing_episode_section(detail: Any) -> EpisodeSection | None:
    """The missing episode behind a case, for a reader who may see its progress."""
    if not detail.sight.shows("progress") or not detail.may_hold(MissingEpisode):
        return None
    found = episode_of(get_db().session, detail.case.id)
    if found is None:
        return None
    return EpisodeSection(found, detail.sight.shows("identifiers"), detail.sight.shows("concern"),
                          reads_interview(detail.sight, g.actor))


@bp.app_template_global()
def repeat_missing_flags(detail: Any, at: datetime | None = None) -> list[ChildFlag]:
    """The case's children flagged as repeat missing children (screening and the case page), for readers who see
    the subjects' identifiers (the flag is about other episodes of the same child)."""
    if not detail.sight.shows("identifiers") or detail.case.anonymised_at is not None:
        return []
    return child_flags(get_db().session, detail.case, at, matches=case_proposals(detail.case))
