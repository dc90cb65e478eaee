"""A person's network: the adults of concern, places and other children linked to them one and two steps out,
and a place's children in the last 12 months. Read within need to know: a link is shown only to someone who
may read the subjects of the case it was recorded on. Rejected links are never shown; proposed ones are
marked "possible – if confirmed".

The drawing is laid out here (server-side, no JavaScript): the person in the middle, one step out on an inner
ring, two steps out on an outer ring beside what links them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core.actor import Actor
from app.core.clock import now
from app.core.errors import NeedToKnow
from app.need_to_know.sight import sight_of
from app.people.clusters import cluster_around, clusters
from app.people.models import Association, Person, Place
from app.people.places import LINKS, PLACE_KINDS, SOURCES, STATUSES

WIDTH, HEIGHT = 720, 520
INNER, OUTER = 130, 230


class _Labelled:
    """How a page reads an association: its link, its status and who said so, in the hub's words."""

    association: Association

    @property
    def link_label(self) -> str:
        return LINKS.get(self.association.link, self.association.link)

    @property
    def status_label(self) -> str:
        return STATUSES[self.association.status]

    @property
    def agency_label(self) -> str:
        return SOURCES.get(self.association.agency, self.association.agency)


@dataclass
class Node:
    key: str  # "person-<root id>" or "place-<id>"
    kind: str  # child, adult, place
    id: int
    label: str
    step: int
    x: float = 0.0
    y: float = 0.0
    parent: str | None = None


@dataclass
class Edge(_Labelled):
    association: Association
    child: str
    other: str
    step: int


@dataclass
class Network:
    centre: Node
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def height(self) -> int:
        return HEIGHT

    def count(self, step: int) -> int:
        return sum(1 for n in self.nodes.values() if n.step == step)

    def as_json(self) -> dict:
        return {"person_id": self.centre.id,
                "nodes": [{"key": n.key, "kind": n.kind, "id": n.id, "step": n.step}
                          for n in self.nodes.values()],
                "links": [{"association_id": e.association.id, "child": e.child, "to": e.other, "step": e.step,
                           "link": e.association.link, "status": e.association.status,
                           "seen_on": e.association.seen_on.isoformat(), "agency": e.association.agency,
                           "case_id": e.association.source_case_id} for e in self.edges]}


class _Sight:
    """Which source cases the reader may see the subjects of, asked once per case."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self.seen: dict[int, bool] = {}

    def shows(self, association: Association) -> bool:
        case_id = association.source_case_id
        if case_id is None:
            return False
        if case_id not in self.seen:
            try:
                self.seen[case_id] = sight_of(self.session, self.actor, case_id, now()).shows("subjects")
            except NeedToKnow:
                self.seen[case_id] = False
        return self.seen[case_id]


def _live(session: Session, condition) -> list[Association]:
    return list(session.scalars(select(Association).where(Association.status != "rejected", condition)
                                .order_by(Association.seen_on, Association.id)))


def person_network(session: Session, person_id: int, actor: Actor) -> Network:
    """The network around ``person_id``'s person: as a child (adults and places, then their other children)
    or as an adult (the children, then the other adults and places those children are linked to)."""
    sight = _Sight(session, actor)
    root, members = cluster_around(session, person_id)  # read once for the person page (app.people.clusters)
    first = [a for a in _live(session, or_(Association.child_person_id.in_(members),
                                           Association.adult_person_id.in_(members))) if sight.shows(a)]
    centre = Node(f"person-{root}", "child" if any(a.child_person_id in members for a in first) or not first
                  else "adult", root, "", 0)
    network = Network(centre)
    hubs = {a.adult_person_id for a in first if a.child_person_id in members} - {None}
    places = {a.place_id for a in first if a.child_person_id in members} - {None}
    kids = {a.child_person_id for a in first if a.adult_person_id in members}
    second = _live(session, or_(Association.adult_person_id.in_(hubs or [-1]), Association.place_id.in_(places or [-1]),
                                Association.child_person_id.in_(kids or [-1]))) if hubs or places or kids else []
    second = [a for a in second if sight.shows(a) and a.id not in {f.id for f in first}]
    records = {r for a in first + second for r in (a.child_person_id, a.adult_person_id) if r is not None}
    roots = clusters(session, records | members)
    for step, found in ((1, first), (2, second)):
        for a in found:
            child = f"person-{roots[a.child_person_id]}"
            other = f"person-{roots[a.adult_person_id]}" if a.adult_person_id else f"place-{a.place_id}"
            other_kind = "adult" if a.adult_person_id else "place"
            if centre.key in (child, other):
                near, kind = (other, other_kind) if child == centre.key else (child, "child")
                _add(network, near, kind, 1, None)
            elif child in network.nodes and network.nodes[child].step == 1:
                _add(network, other, other_kind, 2, child)
            else:
                _add(network, child, "child", 2, other)
            network.edges.append(Edge(a, child, other, step))
    _name(session, network)
    _layout(network)
    return network


def _add(network: Network, key: str, kind: str, step: int, parent: str | None) -> None:
    if key == network.centre.key or key in network.nodes:
        return
    network.nodes[key] = Node(key, kind, int(key.rsplit("-", 1)[1]), "", step, parent=parent)


def _name(session: Session, network: Network) -> None:
    people = [n.id for n in [network.centre, *network.nodes.values()] if n.kind != "place"]
    names = {p.id: p.full_name for p in session.scalars(select(Person).where(Person.id.in_(people)))} if people else {}
    place_ids = [n.id for n in network.nodes.values() if n.kind == "place"]
    places = {p.id: p for p in session.scalars(select(Place).where(Place.id.in_(place_ids)))} if place_ids else {}
    for node in [network.centre, *network.nodes.values()]:
        if node.kind == "place":
            place = places.get(node.id)
            node.label = f"{place.name} ({PLACE_KINDS.get(place.kind, place.kind).lower()})" if place else ""
        else:
            node.label = names.get(node.id, "") or "Anonymised"


def _layout(network: Network) -> None:
    cx, cy = WIDTH / 2, HEIGHT / 2
    network.centre.x, network.centre.y = cx, cy
    inner = [n for n in network.nodes.values() if n.step == 1]
    for i, node in enumerate(inner):
        angle = 2 * math.pi * i / max(len(inner), 1) - math.pi / 2
        node.x, node.y = cx + INNER * math.cos(angle), cy + INNER * math.sin(angle)
    outer = [n for n in network.nodes.values() if n.step == 2]
    for node in outer:
        parent = network.nodes.get(node.parent or "")
        base = math.atan2(parent.y - cy, parent.x - cx) if parent else 0.0
        siblings = [o for o in outer if o.parent == node.parent]
        spread = 0.5 * (siblings.index(node) - (len(siblings) - 1) / 2)
        angle = base + spread
        node.x, node.y = cx + OUTER * math.cos(angle), cy + OUTER * math.sin(angle)


@dataclass
class PlaceChild(_Labelled):
    person_id: int
    name: str
    association: Association



def place_children(session: Session, place_id: int, actor: Actor, on: date) -> list[PlaceChild]:
    """Every child linked to the place with a date seen in the 12 months up to ``on``, newest first, within
    need to know."""
    sight = _Sight(session, actor)
    found = [a for a in _live(session, Association.place_id == place_id)
             if a.seen_on > on - timedelta(days=365) and sight.shows(a)]
    roots = clusters(session, {a.child_person_id for a in found})
    names = {p.id: p.full_name for p in session.scalars(select(Person).where(Person.id.in_(set(roots.values()))))} \
        if roots else {}
    return [PlaceChild(roots[a.child_person_id], names.get(roots[a.child_person_id], "") or "Anonymised", a)
            for a in sorted(found, key=lambda a: (a.seen_on, a.id), reverse=True)]


@dataclass
class CaseLink(_Labelled):
    """A link recorded on a contact, as its people page lists it."""

    association: Association
    child_name: str
    other_name: str
    other_href: tuple[str, int]  # ("person" or "place", id)


def case_links(session: Session, case_id: int) -> list[CaseLink]:
    """Every link recorded on the contact, oldest first, rejected ones too (the decision stands on the page)."""
    rows = list(session.scalars(select(Association).where(Association.source_case_id == case_id)
                                .order_by(Association.recorded_at, Association.id)))
    roots = clusters(session, {r for a in rows for r in (a.child_person_id, a.adult_person_id) if r is not None})
    people = {p.id: p.full_name for p in session.scalars(select(Person).where(
        Person.id.in_(set(roots.values()) | set(roots) or {-1})))}
    places = {p.id: p.name for p in session.scalars(select(Place).where(
        Place.id.in_({a.place_id for a in rows if a.place_id is not None} or {-1})))}
    found = []
    for a in rows:
        child = roots.get(a.child_person_id, a.child_person_id)
        if a.adult_person_id is not None:
            adult = roots.get(a.adult_person_id, a.adult_person_id)
            other, href = people.get(adult, ""), ("person", adult)
        else:
            other, href = places.get(a.place_id or 0, ""), ("place", a.place_id or 0)
        found.append(CaseLink(a, people.get(child, "") or "Anonymised", other or "Anonymised", href))
    return found
