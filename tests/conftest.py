"""Test setup: a migrated database per test (SQLite by default, a throwaway PostgreSQL server on request),
the app, API clients with real bearer tokens, and the controllable clock."""
from __future__ import annotations

import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from app.core.clock import clock
from app.core.config import PROJECT_ROOT, load_settings
from tests.postgres_server import ThrowawayPostgres, postgres_bin

PASSWORD = "test-password-1"


# ----------------------------------------------------------------------------- PostgreSQL server
@pytest.fixture(scope="session")
def postgres():
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries are not installed (make test installs them as root)")
    server = ThrowawayPostgres(bin_dir)
    yield server
    server.stop()


# ----------------------------------------------------------------------------- databases
def _prepare(url: str, instance: Path) -> None:
    """Migrate, register the diagrams and create one user per role: done once per backend, then copied."""
    from app.cli import migrate
    from app.core.db import init_db
    from app.demo import seed_users
    from app.process_models.registry import register_directories

    settings = load_settings(database_url=url, instance_path=instance)
    migrate(settings)
    db = init_db(url)
    with db.unit_of_work() as session:
        register_directories(session, settings.processes_dir, settings.forms_dir)
    seed_users(PASSWORD)
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    _prepare(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres) -> str:
    _prepare(postgres.create_database("mash_template"), Path(tempfile.mkdtemp()))
    return "mash_template"


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A fresh, migrated database with the process registered and a user per role.

    Parametrize indirectly with "postgresql" to run a test on the production database."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        template = request.getfixturevalue("postgres_template")
        name = f"mash_{uuid.uuid4().hex[:12]}"
        yield server.create_database(name, template)
        from app.core.db import init_db
        init_db("sqlite://").dispose()
        server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return
    path = tmp_path / "mash.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    yield f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def _fresh_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _every_join_decided_as_spiffworkflow_decides(monkeypatch):
    """Every parallel join decided in any test is also decided by SpiffWorkflow's own method, and the two
    answers must agree (app/engine/joins.py takes a shorter way to the same answer)."""
    from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as SpiffParallelGateway

    from app.engine.joins import ParallelGateway

    disagreements: list[str] = []
    quick = ParallelGateway._check_threshold_unstructured
    own = SpiffParallelGateway._check_threshold_unstructured

    def checked(self, my_task):
        answer = quick(self, my_task)
        expected = own(self, my_task)
        if answer != expected:
            disagreements.append(f"{self.name}: {answer} where SpiffWorkflow says {expected}")
        return answer

    monkeypatch.setattr(ParallelGateway, "_check_threshold_unstructured", checked)
    yield
    assert not disagreements, disagreements


@pytest.fixture(autouse=True)
def _every_tree_walk_as_spiffworkflow_walks(monkeypatch):
    """Every walk of the task tree app/engine/tree_walk.py makes in any test is also made by SpiffWorkflow's own
    TaskIterator, in step with it, and the two must yield the same tasks in the same order."""
    from app.engine import tree_walk
    from tests.engine.walk_check import walked_in_step

    disagreements: list[str] = []
    quick = tree_walk.walk
    monkeypatch.setattr(tree_walk, "walk",
                        lambda workflow, state: walked_in_step(quick, workflow, state, disagreements))
    yield
    assert not disagreements, disagreements


@pytest.fixture(autouse=True)
def _every_state_saved_reads_back_as_the_case_it_was(monkeypatch):
    """Every case state any test saves is read back by SpiffWorkflow's own task converter and by the app's, and each
    must be the live workflow it was saved from (app/engine/runtime.py writes and reads the state its own way; see
    tests/engine/state_check.py)."""
    from app.engine import CaseWorkflow
    from tests.engine.state_check import differences, stock_restore

    disagreements: list[str] = []
    save, readers = CaseWorkflow.serialize, (("SpiffWorkflow", stock_restore), ("the app", CaseWorkflow.restore))

    def checked(self):
        state = save(self)
        for reader, restore in readers:
            try:
                restored = restore(self.definition, state)
            except Exception as error:  # noqa: BLE001 - a state that cannot be read back is the finding
                disagreements.append(f"{reader} could not read the state back: {error!r}")
                continue
            disagreements.extend(f"read back by {reader}: {found}"
                                 for found in differences(self.workflow, restored.workflow)[:5])
        return state

    monkeypatch.setattr(CaseWorkflow, "serialize", checked)
    yield
    assert not disagreements, disagreements[:20]


@pytest.fixture
def settings(database_url, tmp_path):
    return load_settings(database_url=database_url, instance_path=tmp_path / "instance",
                         processes_dir=PROJECT_ROOT / "processes", forms_dir=PROJECT_ROOT / "forms")


@pytest.fixture
def app(settings):
    from app import create_app

    application = create_app(settings)
    application.config.update(TESTING=True)
    yield application
    from app.core.db import get_db
    get_db().dispose()


@pytest.fixture
def db(app):
    from app.core.db import get_db
    return get_db()


# ----------------------------------------------------------------------------- API clients
class ApiClient:
    """A Flask test client that sends a real bearer token minted for one demo user."""

    def __init__(self, app, username: str) -> None:
        from app.auth.operations import mint_token, user_by_username
        from app.core.db import get_db

        self.username = username
        with get_db().unit_of_work() as session:
            self.token = mint_token(session, user_by_username(session, username), "tests")
        self.client = app.test_client()

    def _headers(self, extra=None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def api(app):
    """api("police") → a client authenticated as the demo police user."""
    clients: dict[str, ApiClient] = {}

    def client_for(username: str) -> ApiClient:
        if username not in clients:
            clients[username] = ApiClient(app, username)
        return clients[username]

    return client_for


class WebClient:
    """A Flask test client signed in through the real login form, with the page's CSRF token to hand."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, app, username: str) -> None:
        self.client = app.test_client()
        response = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": self.csrf("/login")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def csrf(self, path: str) -> str:
        return self.CSRF.search(self.client.get(path).get_data(as_text=True)).group(1)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post_form(self, path: str, data: dict, *, csrf_from: str | None = None):
        return self.client.post(path, data={**data, "csrf_token": self.csrf(csrf_from or path)})


@pytest.fixture
def web(app):
    """web(username): a signed-in browserless client for HTML pages."""
    return lambda username: WebClient(app, username)


# ----------------------------------------------------------------------------- live server + browser
@pytest.fixture
def live_server(app):
    """The app on a real port in a thread, for the browser."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def wait_until_blocked_on_a_lock(db, racer, outcome: dict) -> None:
    """Wait (generously: a loaded machine is slow) until the ``racer`` thread waits on a PostgreSQL row lock; a racer
    that ends instead fails the test with what it did, rather than a bare timeout."""
    from sqlalchemy import text

    def waiting() -> bool:
        # A fresh transaction each look: inside one, PostgreSQL keeps showing the first look's pg_stat_activity.
        with db.engine.connect() as watcher:
            return watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).scalar() >= 1

    assert wait_for(lambda: not racer.is_alive() or waiting(), timeout=60)
    assert racer.is_alive(), f"the second action did not wait for the first: {outcome}"
