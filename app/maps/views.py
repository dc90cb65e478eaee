"""/maps: every process as a navigable map with its steps explained, and each case on its map."""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for

from app.audit.operations import record
from app.cases.models import Case
from app.core.calendar import london
from app.core.clock import now
from app.core.db import get_db
from app.maps.steps import MapPlace, locate, process_listing, processes_in, step_view
from app.maps.trail import ALL, WORK, CaseMap, MapFrame, trail_view
from app.maps.trail import case_map as read_case_map
from app.need_to_know.sight import sight_of
from app.process_models.registry import versions_of
from app.web.security import allow_diagram_styles

bp = Blueprint("maps", __name__, template_folder="templates")


def _whole(name: str) -> int | None:
    """An optional whole-number query argument; anything else is a page that does not exist."""
    text = request.args.get(name)
    if text is None or text == "":
        return None
    if not text.isdigit():
        abort(404)
    return int(text)


def _place(process_id: str) -> MapPlace:
    place = locate(get_db().session, process_id, version=_whole("version"), root=request.args.get("root") or None)
    if place is None:
        abort(404)
    return place


def step_url(place: MapPlace, step_id: str, **extra) -> str:
    """A step's own page, pinned to the version shown (deep links keep meaning what they meant)."""
    return url_for("maps.step", process_id=place.process_id, step_id=step_id, version=place.version.version,
                   root=place.root_id if place.root_id != place.process_id else None, **extra)


def map_url(place: MapPlace, process_id: str, **extra) -> str:
    """A process's map in the version shown; ``step=`` or ``lane=`` opens it on that step or lane."""
    return url_for("maps.process_map", process_id=process_id, version=place.version.version,
                   root=place.root_id if place.root_id != process_id else None, **extra)


def diagram_url(place: MapPlace) -> str:
    return url_for("process_models.diagram", process_id=place.root_id, version=place.version.version,
                   filename=place.diagram.file)


@bp.get("/maps")
def index():
    return render_template("maps/index.html", entries=process_listing(get_db().session), map_url=map_url)


@bp.get("/maps/<process_id>")
def process_map(process_id: str):
    place = _place(process_id)
    views = {s: view for s in place.diagram.steps if (view := step_view(place, s)) is not None}
    in_version = dict(processes_in(place.version))
    data = {
        "mode": "process",
        "diagram_url": diagram_url(place),
        "steps": {s: {"name": v.step.name, "url": step_url(place, s), "panel_url": step_url(place, s, panel=1)}
                  for s, v in views.items()},
        "calls": {s.id: map_url(place, s.called_process) for s in place.diagram.steps.values()
                  if s.called_process in in_version},
    }
    focus = map_focus(place, request.args.get("step") or None, request.args.get("lane") or None)
    data["focus"] = {key: value for key, value in focus.items() if key != "missing"}
    allow_diagram_styles()
    others = [(pid, name) for pid, name in in_version.items() if pid != process_id]
    return render_template("maps/process_map.html", place=place, views=views, data=data, in_version=in_version,
                           others=others, focus=focus, lanes=place.diagram.by_lane(),
                           versions=versions_of(get_db().session, place.root_id), callers=place.callers(),
                           step_url=step_url, map_url=map_url)


def map_focus(place: MapPlace, step_id: str | None, lane: str | None) -> dict:
    """What a process map opens on: ``?step=`` (a step's id), else ``?lane=`` (a lane's name, with its steps),
    else the start event(s). One not on this map is said on the page ("missing") and the map opens on the start."""
    steps = place.diagram.steps
    if step_id is not None and step_id in steps:
        return {"step": step_id, "name": steps[step_id].name}
    lanes = dict(place.diagram.by_lane())
    if step_id is None and lane is not None and lane in lanes:
        return {"lane": lane, "steps": [s.id for s in lanes[lane]]}
    start = [s.id for s in steps.values() if s.kind == "startEvent"][:1]  # the first, in flow order
    missing = (f"step {step_id}" if step_id is not None else f"lane {lane}" if lane is not None else None)
    return {"start": start, **({"missing": missing} if missing else {})}


@bp.get("/maps/<process_id>/steps/<step_id>")
def step(process_id: str, step_id: str):
    place = _place(process_id)
    view = step_view(place, step_id)
    if view is None:
        abort(404)
    in_version = dict(processes_in(place.version))
    template = "maps/_step.html" if request.args.get("panel") else "maps/step.html"
    latest = versions_of(get_db().session, place.root_id)[0]
    return render_template(template, view=view, place=place, in_version=in_version, latest=latest,
                           step_url=step_url, map_url=map_url)


@bp.get("/cases/<int:case_id>/map")
def case_map(case_id: int):
    db = get_db()
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    sight_of(db.session, g.actor, case_id, now())  # need to know: a case the reader may not see is not found
    found = read_case_map(db.session, case, request.args.get("process") or None)
    if found is None:
        abort(404)
    at = _whole("at")
    frame = found.frame(at)
    show = trail_view(request.args.get("show"), WORK)
    shown = [e.index for e in found.trail if show == ALL or e.index in found.work]
    record(db.session, g.actor, "case.map-viewed", case_id=case_id,
           details={"process_id": found.place.process_id, "at": frame.k if at is not None else None})
    allow_diagram_styles()
    replay = _replay_url(found, show)
    return render_template("maps/case_map.html", found=found, case=case, frame=frame, place=found.place,
                           data={**_case_map_data(found, frame, replay), "shown": shown}, replay_url=replay,
                           replay_targets=_replay_targets(frame.k, shown, len(found.trail)), show=show,
                           shown=set(shown), other_view_url=_replay_url(found, ALL if show == WORK else WORK)(at),
                           step_url=step_url, london=london)


def _replay_url(found: CaseMap, show: str = WORK):
    """``replay_url(k)``: this case map at event k (the links that make replay work without JavaScript), in the
    trail view given (``work`` is the default and left out of the address)."""
    root = found.place.root_id

    def at(k: int | None) -> str:
        process = found.place.process_id if found.place.process_id != root else None
        return url_for("maps.case_map", case_id=found.case.id, process=process, at=k,
                       show=show if show != WORK else None)
    return at


def _replay_targets(k: int, shown: list[int], total: int) -> list[tuple[str, str, int]]:
    """(control, label, event) of the replay's buttons: Previous and Next step through the events of the trail
    view shown (the work view skips decision points and internal events); the last is the case as it is now."""
    previous = max((i for i in shown if i < k), default=0)
    following = min((i for i in shown if i > k), default=total)
    return [("first", "First", 0), ("previous", "Previous", previous), ("next", "Next", following),
            ("last", "Last", total)]


def _case_map_data(found: CaseMap, frame: MapFrame, replay) -> dict:
    """What the page's script needs: every frame, so replay needs no further requests."""
    place = found.place
    in_version = dict(processes_in(place.version))
    return {
        "mode": "case",
        "diagram_url": diagram_url(place),
        "process_id": place.process_id,
        "at": frame.k,
        "events": [{"index": e.index, "element_id": e.element_id, "name": e.name, "state": e.state,
                    "at": e.at.isoformat(), "at_label": london(e.at), "by": e.by, "url": replay(e.index),
                    "here": e.process_id == place.process_id,
                    "process_name": in_version.get(e.process_id or "", e.process_id)} for e in found.trail],
        "start_url": replay(0),
        "frames": _frame_changes(found.frames),
        "deadlines": {str(d.deadline_id): {"name": d.name, "kind": d.kind, "due_at": d.due_at.isoformat(),
                                           "due_label": london(d.due_at)}
                      for f in found.frames for d in f.deadlines},
        "steps": {s.id: {"name": s.name, "url": step_url(place, s.id), "activity": s.is_activity,
                         "attached_to": s.attached_to} for s in place.diagram.steps.values()},
        "order": list(place.diagram.steps),
        "calls": {s.id: url_for("maps.case_map", case_id=found.case.id, process=s.called_process)
                  for s in place.diagram.steps.values() if s.called_process in in_version},
    }


def _frame_changes(frames: list[MapFrame]) -> list[dict]:
    """Each frame as what changed since the one before (a step's state, arrows newly taken) plus its
    deadlines as [deadline id, timer, state]: a long case's every frame in full would weigh hundreds of
    kilobytes."""
    changes = []
    before = MapFrame(k=0, at=None)
    for frame in frames:
        changes.append({
            "elements": {k: v.as_json() for k, v in frame.elements.items() if before.elements.get(k) != v},
            "flows": [flow for flow in frame.flows if flow not in before.flows],
            "deadlines": [[str(d.deadline_id), d.element_id, d.state] for d in frame.deadlines]})
        before = frame
    return changes
