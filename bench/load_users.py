"""The virtual people of a load run: referrers reporting contacts, and hub staff working their inboxes.

Each person is a thread with its own think times. Hub staff sign in through the real login form (the HTML case
page and inbox need a browser session) and use a bearer token for the JSON API, as the hub's own screens and a
partner system would. Tasks are partitioned so that each has exactly one owner: a case belongs to the member of
each role with index ``case_id % members_of_that_role``. Two people never reach for the same task, so a 409 (or
any other non-2xx) is a fault to investigate, not noise. Only cases reported during the run are worked; the
demo's own cases are left alone.
"""
from __future__ import annotations

import http.cookiejar
import json
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from tests import factories as f
from tests.server_processes import REFERRAL_WALK

#: Request types, in the order they are printed.
REQUEST_TYPES = ("GET login page", "POST login", "POST contacts", "GET contact", "GET tasks", "GET inbox page",
                 "GET case", "GET case page", "POST complete")
#: The roles in a run, and their weight in the default mix of 50 people.
MIX = {"referrer": 8, "mash-manager": 18, "police": 8, "health": 8, "business-support": 8}
#: (element id, role, form data): the walk every case takes, as in task_throughput.py.
STEPS = REFERRAL_WALK
#: Mean think times in seconds (each drawn uniformly from 0.5x to 1.5x the mean, then scaled by ``pace``).
THINK = {
    "contact": 10.0,  # a referrer fills in the next contact form
    "work": 3.0,      # reading the case and filling in the task's form, between opening it and submitting
    "next": 1.0,      # after submitting, before looking at the inbox again
    "idle": 5.0,      # nothing of theirs in the inbox: wait before looking again
}
#: People arrive (and staff sign in) at random over the first tenth of the run, at most this many seconds.
ARRIVAL_S = 60.0
#: Chance that a person also opens the HTML inbox when reading it, and a referrer checks an earlier contact.
INBOX_PAGE_CHANCE = 0.25
CONTACT_CHECK_CHANCE = 0.3
GIVEN = ("Ava", "Noah", "Mia", "Leo", "Isla", "Oscar", "Ivy", "Arlo", "Freya", "Theo", "Rosie", "Jude",
         "Poppy", "Finn", "Ada", "Ezra", "Nia", "Kai", "Lola", "Reuben")
FAMILY = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
          "Wright", "Hughes", "Patel", "Khan", "Green", "Hall", "Wood", "Clarke", "Turner", "Hill")
TIMEOUT_S = 60
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not something to follow: an expired session's redirect to /login must count."""

    def redirect_request(self, *args, **kwargs):
        return None


_API_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def roster(users: int) -> list[str]:
    """The role of each person: MIX scaled to ``users`` (largest remainder), at least one per role."""
    if users < len(MIX):
        raise ValueError(f"a run needs at least {len(MIX)} people, one per role")
    total = sum(MIX.values())
    shares = {role: max(1, users * weight // total) for role, weight in MIX.items()}
    by_remainder = sorted(MIX, key=lambda role: -(users * MIX[role] % total))
    while sum(shares.values()) < users:
        shares[by_remainder.pop(0)] += 1
    while sum(shares.values()) > users:
        shares[max(shares, key=shares.get)] -= 1
    return [role for role, count in shares.items() for _ in range(count)]


# ----------------------------------------------------------------------------- what was measured
@dataclass
class Recorder:
    """Latency of every request by type, and every non-2xx or connection failure by type and status."""

    latency: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in REQUEST_TYPES})
    errors: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: dict[tuple[str, str], str] = field(default_factory=dict)  # the first of each kind of error
    anomalies: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, elapsed_ms: float, status: int | str, ok: bool, what: str, body: bytes) -> None:
        with self.lock:
            self.latency[kind].append(elapsed_ms)
            if not ok:
                key = (kind, str(status))
                self.errors[key] = self.errors.get(key, 0) + 1
                if key not in self.samples:
                    shown = "" if body.lstrip()[:1] == b"<" else f" {body[:160]!r}"
                    self.samples[key] = f"{what}: {status}{shown}"

    def anomaly(self, text: str) -> None:
        with self.lock:
            self.anomalies.append(text)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class Failed(Exception):
    """A request failed (already counted): the person gives up on what they were doing and carries on."""


# ----------------------------------------------------------------------------- the hub's shared picture
class Hub:
    """The cases reported during the run and the steps done on each (the bookkeeping the final check uses)."""

    def __init__(self, base: str, tokens: dict[str, str], password: str, names: dict[str, str],
                 recorder: Recorder, stop_at: float, pace: float, run_tag: str) -> None:
        self.base, self.tokens, self.password, self.names = base, tokens, password, names
        self.recorder, self.stop_at, self.pace, self.run_tag = recorder, stop_at, pace, run_tag
        self.steps_by_name = {names[element]: (element, role, data) for element, role, data in STEPS}
        self.done: dict[int, set[str]] = {}  # case id -> elements completed
        self.completed: dict[str, int] = {element: 0 for element, _, _ in STEPS}
        self.max_inbox = 0
        self.arrival_s = min(ARRIVAL_S, (stop_at - time.monotonic()) / 10)
        self._people: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def add_case(self, case_id: int) -> None:
        with self._lock:
            self.done[case_id] = set()

    def is_ours(self, case_id: int) -> bool:
        with self._lock:
            return case_id in self.done

    def note_completed(self, case_id: int, element: str) -> None:
        with self._lock:
            self.done[case_id].add(element)
            self.completed[element] += 1

    def note_inbox(self, size: int) -> None:
        with self._lock:
            self.max_inbox = max(self.max_inbox, size)

    def new_child(self, rng: random.Random) -> tuple[str, str, str]:
        """A name and date of birth no earlier contact of the run has: an exact match would route the contact
        to the open case's worker, off the walk this run measures."""
        while True:
            person = (rng.choice(GIVEN), rng.choice(FAMILY) + "-" + self.run_tag,
                      f"{rng.randint(2008, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
            with self._lock:
                if person not in self._people:
                    self._people.add(person)
                    return person

    def left(self) -> float:
        return self.stop_at - time.monotonic()


# ----------------------------------------------------------------------------- one person
class Person(threading.Thread):
    """One virtual person. ``index`` among the ``members`` of the same role decides which cases are theirs."""

    def __init__(self, hub: Hub, role: str, index: int, members: int, seed: int) -> None:
        super().__init__(name=f"{role}-{index}", daemon=True)
        self.hub, self.role, self.index, self.members = hub, role, index, members
        self.rng = random.Random(seed)
        self.web = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                               urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                               _NoRedirect())
        self.my_contacts: list[int] = []
        self.my_elements = {element for element, role, _ in STEPS if role == self.role}

    # -- HTTP
    def request(self, kind: str, method: str, path: str, *, body: dict | None = None, form: dict | None = None,
                headers: dict | None = None, web: bool = False, expect: int | None = None) -> bytes:
        """One timed request, counted once (no retries). Raises Failed on anything but a 2xx (or ``expect``)."""
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            content_type = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            data = json.dumps(body).encode() if body is not None else None
            content_type = {"Content-Type": "application/json"} if data is not None else {}
        auth = {} if web else {"Authorization": f"Bearer {self.hub.tokens[self.role]}",
                               "Accept": "application/json"}
        request = urllib.request.Request(self.hub.base + path, data=data, method=method,
                                         headers={**auth, **content_type, **(headers or {})})
        started = time.perf_counter()
        status: int | str
        try:
            with (self.web if web else _API_OPENER).open(request, timeout=TIMEOUT_S) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except OSError as error:
            status, payload = f"connection: {type(error).__name__}", str(error).encode()
        ok = status == expect if expect is not None else isinstance(status, int) and 200 <= status < 300
        what = f"{method} {path} as {self.role} #{self.index}"
        self.hub.recorder.note(kind, (time.perf_counter() - started) * 1000, status, ok, what, payload)
        if not ok:
            raise Failed(f"{what}: {status}")
        return payload

    def think(self, what: str) -> bool:
        """Pause like a person would; False once the run's time is up."""
        pause = THINK[what] * self.rng.uniform(0.5, 1.5) * self.hub.pace
        if pause >= self.hub.left():
            time.sleep(max(0.0, self.hub.left()))
            return False
        time.sleep(pause)
        return True

    # -- what people do
    def run(self) -> None:
        time.sleep(self.rng.uniform(0, self.hub.arrival_s))  # people do not all arrive at once
        try:
            if self.role == "referrer":
                self.report_contacts()
            else:
                self.sign_in()
                self.work_inbox()
        except Failed:
            pass  # counted already; only a failed sign-in ends a person's day
        except Exception as error:  # noqa: BLE001  a bug in the script must show, not vanish with the thread
            self.hub.recorder.anomaly(f"{self.name} stopped: {type(error).__name__}: {error}")

    def sign_in(self) -> None:
        page = self.request("GET login page", "GET", "/login", web=True).decode()
        token = _CSRF.search(page)
        if token is None:
            self.hub.recorder.anomaly(f"{self.name}: no csrf_token on /login")
            raise Failed("no csrf_token on /login")
        self.request("POST login", "POST", "/login", web=True, expect=302,
                     form={"username": self.role, "password": self.hub.password, "csrf_token": token.group(1)})

    def report_contacts(self) -> None:
        number = 0
        while self.think("contact"):
            number += 1
            given, family, born = self.hub.new_child(self.rng)
            key = f"load-{self.hub.run_tag}-{self.index}-{number}"
            try:
                created = json.loads(self.request("POST contacts", "POST", "/api/v1/contacts", headers={
                    "Idempotency-Key": key}, body=f.contact(given=given, family=family, dob=born)))
                self.hub.add_case(created["case_id"])
                self.my_contacts.append(created["case_id"])
                if self.rng.random() < CONTACT_CHECK_CHANCE:
                    earlier = self.rng.choice(self.my_contacts)
                    self.request("GET contact", "GET", f"/api/v1/contacts/{earlier}")
            except Failed:
                continue

    def work_inbox(self) -> None:
        while self.hub.left() > 0:
            try:
                task = self.next_task()
                if task is None:
                    if not self.think("idle"):
                        return
                    continue
                if not self.work(task) or not self.think("next"):
                    return
            except Failed:
                if not self.think("next"):
                    return

    def next_task(self) -> dict | None:
        """Read the inbox; the first task there that is this person's to do, or None."""
        inbox = json.loads(self.request("GET tasks", "GET", "/api/v1/tasks"))
        self.hub.note_inbox(len(inbox))
        if self.rng.random() < INBOX_PAGE_CHANCE:
            self.request("GET inbox page", "GET", "/inbox", web=True)
        for task in inbox:
            step = self.hub.steps_by_name.get(task["name"])
            if (step is not None and step[0] in self.my_elements and task["case_id"] % self.members == self.index
                    and self.hub.is_ours(task["case_id"])):
                return task
        return None

    def work(self, task: dict) -> bool:
        """Open the case (JSON and page), work the form, submit. False once the run's time is up."""
        case_id = task["case_id"]
        element, _role, data = self.hub.steps_by_name[task["name"]]
        case = json.loads(self.request("GET case", "GET", f"/api/v1/cases/{case_id}"))
        if not any(t["task_id"] == task["task_id"] for t in case["open_tasks"]):
            self.hub.recorder.anomaly(f"case {case_id}: inbox task {task['name']} is not among the case's open "
                                      f"tasks {[t['name'] for t in case['open_tasks']]}")
            return True
        self.request("GET case page", "GET", f"/cases/{case_id}", web=True)
        if not self.think("work"):
            return False
        self.request("POST complete", "POST", f"/api/v1/tasks/{task['task_id']}/complete", body=data)
        self.hub.note_completed(case_id, element)
        return True


def run_people(hub: Hub, roles: list[str], seed: int) -> None:
    """Start everyone, wait for the run's time to pass and every person's last request to end."""
    counts: dict[str, int] = {}
    people = []
    for number, role in enumerate(roles):
        people.append(Person(hub, role, counts.get(role, 0), roles.count(role), seed * 1000 + number))
        counts[role] = counts.get(role, 0) + 1
    for person in people:
        person.start()
    for person in people:
        person.join(timeout=max(0.0, hub.left()) + TIMEOUT_S + 5)
        if person.is_alive():
            hub.recorder.anomaly(f"{person.name} still busy {TIMEOUT_S} s after the end of the run")


def expected_open(done: set[str]) -> set[str]:
    """The elements open on a case of this walk once ``done`` are complete."""
    if "screening" not in done:
        return {"screening"}
    checks = {"police_check", "health_check"} - done
    if checks:
        return checks
    for element in ("mash_review", "decision", "feedback_to_referrer"):
        if element not in done:
            return {element}
    return set()
