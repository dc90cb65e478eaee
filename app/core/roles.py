"""The hub's roles. Diagram lanes are roles; users hold roles; one rule turns a lane name into a role."""
from __future__ import annotations

#: Lane names exactly as process owners write them in the diagrams.
LANE_NAMES: tuple[str, ...] = (
    "MASH manager",
    "Out of hours",
    "Police",
    "Health",
    "Education",
    "Probation",
    "Housing",
    "Youth justice",
    "Adult social care",
    "Business support",
    "Social worker",
    # The emergency duty team: urgent steps while the hub calendar says the hub is closed.
    "Out of hours",
    "Ops manager",
    # The MARAC coordinator: refers high-risk victims of domestic abuse to the MARAC and records its actions.
    "MARAC coordinator",
    # The Local Authority Designated Officer: allegations against people who work with children (processes/lado.bpmn).
    "LADO",
    # The missing children coordinator: records a missing child's return and the return home interview.
    "Missing children",
)

#: Roles that are not lanes: people who use the system around the process.
OTHER_ROLES: tuple[str, ...] = ("referrer", "process-owner", "trainer", "auditor", "admin")

#: Agencies whose records are checked, and the role that checks them.
AGENCIES: tuple[str, ...] = (
    "police", "health", "education", "probation", "housing", "youth-justice", "adult-social-care",
)


def role_for_lane(lane: str | None) -> str | None:
    """'Youth justice' -> 'youth-justice'. The slug is also the demo user's name."""
    return _slug(lane) if lane else None


def _slug(lane: str) -> str:
    return "-".join(lane.strip().lower().split())


LANE_ROLES: tuple[str, ...] = tuple(_slug(name) for name in LANE_NAMES)
ALL_ROLES: tuple[str, ...] = LANE_ROLES + OTHER_ROLES

#: Roles whose members work inside the sealed hub and may read shared case information.
HUB_ROLES: frozenset[str] = frozenset(LANE_ROLES) | {"ops-manager", "admin"}


#: Each lane's role -> the lane's name as the diagrams write it (the first, where two lanes share a role).
_LANE_OF_ROLE: dict[str, str] = {}
for _lane in LANE_NAMES:
    _LANE_OF_ROLE.setdefault(_slug(_lane), _lane)


def role_label(role: str) -> str:
    """'youth-justice' -> 'Youth justice'; a role that is not a lane's, capitalised. Pages call it for every row."""
    lane = _LANE_OF_ROLE.get(role)
    return lane if lane is not None else role.replace("-", " ").capitalize()
