"""Settings come from the environment so the same build runs in dev, CI and production."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    instance_path: Path
    processes_dir: Path
    forms_dir: Path
    training: bool = False
    run_scheduler: bool = True
    #: Served over HTTPS (MASH_HTTPS=1): Secure ``__Host-`` session cookie and Strict-Transport-Security.
    https: bool = False
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (MASH_PROXY_HOPS).
    proxy_hops: int = 0
    #: Sign-in security (app/auth): idle and absolute session limits, and failed-login throttling.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_max_failures: int = 5
    login_address_max_failures: int = 20
    login_window_minutes: int = 15
    login_lockout_minutes: int = 15
    #: Months after closure before a contact closed with no further action is anonymised (app/retention).
    #: A council's own retention schedule sets this, not statute: 36 months (3 years) sits within the
    #: range local authorities publish for contacts that did not progress, long enough for a repeat
    #: contact about the same child to be seen against the earlier one, short enough not to keep
    #: families' details indefinitely when the hub decided nothing was needed (UK GDPR Art 5(1)(e)).
    retention_nfa_months: int = 36
    #: Months after closure before an adult safeguarding concern that needed no section 42 enquiry (other action, or
    #: none) is anonymised (app/retention; MASH_RETENTION_ADULT_MONTHS). No statute or national guidance sets it and
    #: DOMAIN.md is silent: 72 months (6 years) is a default for the council's information governance lead to confirm,
    #: not a rule. Concerns that went to an enquiry are not covered (a longer adult safeguarding schedule).
    retention_adult_months: int = 72
    #: Minutes an urgent (Red) task may wait unclaimed before it is escalated to the person on duty for its role
    #: (app/rota; MASH_DUTY_ESCALATION_MINUTES).
    duty_escalation_minutes: int = 15


def _secret_key(instance_path: Path) -> str:
    """Use MASH_SECRET_KEY, else a key generated once into instance/ (never committed). The file is created
    0600 and only then written: there is no moment when another account could read the key."""
    if key := os.environ.get("MASH_SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    _private_folder(instance_path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_hex(32))
    return path.read_text().strip()


def _private_folder(path: Path) -> None:
    """The instance folder (database, key, training database) is the hub account's alone: made 0700. One
    that already exists is left as its owner set it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _count(name: str, default: int, *, minimum: int = 1) -> int:
    """A whole number from the environment. A typo stops the app instead of silently switching a security
    limit off or shortening a retention period."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


def _database_url(instance_path: Path, training: bool) -> str:
    """The training sandbox reads its own setting and never MASH_DATABASE_URL: a sandbox started with the live
    settings still lands on its own database (and app/training/sandbox.py refuses one not marked as training)."""
    if training:
        return os.environ.get("MASH_TRAINING_DATABASE_URL") or f"sqlite:///{instance_path / 'training.db'}"
    return os.environ.get("MASH_DATABASE_URL") or f"sqlite:///{instance_path / 'mash.db'}"


def load_settings(**overrides: Any) -> Settings:
    instance_path = Path(os.environ.get("MASH_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    _private_folder(instance_path)
    training = os.environ.get("MASH_TRAINING") == "1"
    settings = Settings(
        database_url=_database_url(instance_path, training),
        secret_key=_secret_key(instance_path),
        instance_path=instance_path,
        processes_dir=Path(os.environ.get("MASH_PROCESSES_DIR", PROJECT_ROOT / "processes")),
        forms_dir=Path(os.environ.get("MASH_FORMS_DIR", PROJECT_ROOT / "forms")),
        training=training,
        https="1" in (os.environ.get("MASH_HTTPS"), os.environ.get("MASH_SECURE_COOKIES")),
        proxy_hops=_count("MASH_PROXY_HOPS", 0, minimum=0),
        session_idle_minutes=_count("MASH_SESSION_IDLE_MINUTES", 30),
        session_max_hours=_count("MASH_SESSION_MAX_HOURS", 12),
        login_max_failures=_count("MASH_LOGIN_MAX_FAILURES", 5),
        login_address_max_failures=_count("MASH_LOGIN_ADDRESS_MAX_FAILURES", 20),
        login_window_minutes=_count("MASH_LOGIN_WINDOW_MINUTES", 15),
        login_lockout_minutes=_count("MASH_LOGIN_LOCKOUT_MINUTES", 15),
        retention_nfa_months=_count("MASH_RETENTION_NFA_MONTHS", 36),
        retention_adult_months=_count("MASH_RETENTION_ADULT_MONTHS", 72),
        duty_escalation_minutes=duty_escalation_minutes(),
    )
    return replace(settings, **overrides)


def duty_escalation_minutes() -> int:
    """MASH_DUTY_ESCALATION_MINUTES (default 15): read by the scheduler, which runs outside any request."""
    return _count("MASH_DUTY_ESCALATION_MINUTES", 15)


#: SQLite's durability (MASH_SQLITE_SYNCHRONOUS). In WAL mode NORMAL syncs at checkpoints, not at every commit: a
#: crash of the app or the server process loses nothing; a power cut or an OS crash may lose the last commits
#: (README, "Durability on SQLite"). FULL syncs every commit. PostgreSQL is the production database either way.
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


def sqlite_synchronous() -> str:
    """MASH_SQLITE_SYNCHRONOUS (default NORMAL); read when the engine is made, before any settings object."""
    raw = (os.environ.get("MASH_SQLITE_SYNCHRONOUS") or "NORMAL").strip().upper()
    if raw not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"MASH_SQLITE_SYNCHRONOUS must be NORMAL or FULL, not {raw!r}")
    return raw


def timer_batch() -> int:
    """MASH_TIMER_BATCH (default 50): due cases the scheduler fires per transaction, each in a savepoint of it.
    1 fires every case in a transaction of its own (one synced commit per firing)."""
    return _count("MASH_TIMER_BATCH", 50)


def timers_shared() -> bool:
    """MASH_TIMERS_SHARED=1 (PostgreSQL only; default off): standby schedulers fire due timers too, sharing a
    burst with the lease holder instead of waiting for its lease to lapse."""
    return _flag("MASH_TIMERS_SHARED", False)


@dataclass(frozen=True)
class EvaluationBudget:
    """What one piece of diagram code may use (app.engine.evaluator): CPU per condition, script, timer
    expression or diagram function call; wall-clock time for all the code of one engine step (a contact's
    start, a task completion, a timer firing); and memory. A diagram that goes over stops with an incident,
    and the worker, the database and every other case carry on."""

    eval_cpu_seconds: float = 1.0
    step_seconds: float = 2.0
    memory_mib: int = 64


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 600:
        raise ValueError(f"{name} must be more than 0 and at most 600 seconds, not {value}")
    return value


def evaluation_budget() -> EvaluationBudget:
    """The diagram budget from MASH_EVAL_CPU_SECONDS, MASH_STEP_SECONDS and MASH_EVAL_MEMORY_MIB."""
    return EvaluationBudget(eval_cpu_seconds=_seconds("MASH_EVAL_CPU_SECONDS", 1.0),
                            step_seconds=_seconds("MASH_STEP_SECONDS", 2.0),
                            memory_mib=_count("MASH_EVAL_MEMORY_MIB", 64, minimum=16))


# ----------------------------------------------------------------------------- notifications (app/notifications)
@dataclass(frozen=True)
class MailSettings:
    """How messages leave the hub: the council's SMTP relay and GOV.UK Notify, and how hard the sender tries.
    Secrets (the relay's password, the Notify API key) come from the environment only, never the repository."""

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = "MASH <mash@council.example>"
    notify_api_key: str = ""
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    #: The council's own e-mail domain: on the secure list beside gcsx, cjsm and nhs.net.
    council_domain: str = ""
    #: Where the app is reached: messages link here, never carry the case.
    base_url: str = "http://127.0.0.1:5000"
    #: A message that fails this many times goes to the dead letters for an operations manager.
    max_attempts: int = 5
    #: The first retry waits this long; each further one twice as long as the one before.
    retry_seconds: int = 60
    #: Non-urgent messages for someone who chose the digest are gathered this often.
    digest_minutes: int = 30
    #: A sent or discarded message's address and text are kept this long (then erased, its codes kept).
    keep_sent_days: int = 30
    #: MASH_DEV_MAIL=1 (make run): mail goes to a local sink on 127.0.0.1 and /dev/mail shows it.
    dev_mail: bool = False
    dev_mail_port: int = 8025


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0, not {raw!r}")


def mail_settings() -> MailSettings:
    """Read from MASH_SMTP_HOST, MASH_SMTP_PORT, MASH_SMTP_STARTTLS, MASH_SMTP_USERNAME, MASH_SMTP_PASSWORD,
    MASH_MAIL_FROM, MASH_NOTIFY_API_KEY, MASH_NOTIFY_BASE_URL, MASH_COUNCIL_DOMAIN, MASH_BASE_URL,
    MASH_NOTIFY_MAX_ATTEMPTS, MASH_NOTIFY_RETRY_SECONDS, MASH_DIGEST_MINUTES, MASH_NOTIFY_KEEP_DAYS,
    MASH_DEV_MAIL and MASH_DEV_MAIL_PORT. With MASH_DEV_MAIL=1 the relay is the local sink, whatever else is set."""
    env = os.environ.get
    dev_mail = _flag("MASH_DEV_MAIL", False)
    dev_port = _count("MASH_DEV_MAIL_PORT", 8025)
    defaults = MailSettings()
    return MailSettings(
        smtp_host="127.0.0.1" if dev_mail else env("MASH_SMTP_HOST", ""),
        smtp_port=dev_port if dev_mail else _count("MASH_SMTP_PORT", defaults.smtp_port),
        smtp_starttls=False if dev_mail else _flag("MASH_SMTP_STARTTLS", True),
        smtp_username="" if dev_mail else env("MASH_SMTP_USERNAME", ""),
        smtp_password="" if dev_mail else env("MASH_SMTP_PASSWORD", ""),
        mail_from=env("MASH_MAIL_FROM", defaults.mail_from),
        notify_api_key=env("MASH_NOTIFY_API_KEY", ""),
        notify_base_url=env("MASH_NOTIFY_BASE_URL", defaults.notify_base_url),
        council_domain=env("MASH_COUNCIL_DOMAIN", "").strip().lower(),
        base_url=env("MASH_BASE_URL", defaults.base_url).rstrip("/"),
        max_attempts=_count("MASH_NOTIFY_MAX_ATTEMPTS", defaults.max_attempts),
        retry_seconds=_count("MASH_NOTIFY_RETRY_SECONDS", defaults.retry_seconds),
        digest_minutes=_count("MASH_DIGEST_MINUTES", defaults.digest_minutes),
        keep_sent_days=_count("MASH_NOTIFY_KEEP_DAYS", defaults.keep_sent_days),
        dev_mail=dev_mail,
        dev_mail_port=dev_port,
    )


@dataclass(frozen=True)
class HashingSettings:
    """The password-hashing pool (app/auth/hashing_pool.py), per process.

    ``pool_size`` (MASH_HASHING_POOL_SIZE): hashes at once. argon2id runs its 4 lanes in parallel, so one hash
    already fills up to 4 cores: the default is one per 4 cores, at least 1 (on 2 cores, 1). 0 switches the
    bound off (every request hashes at once, as before issue 20). ``queue`` (MASH_HASHING_QUEUE, default 64):
    sign-ins and password changes that may wait their turn. ``wait_seconds`` (MASH_HASHING_WAIT_SECONDS,
    default 30): the longest a turn may take to come. Past either, the person is told the service is busy.
    ``nice`` (MASH_HASHING_NICE, default 10, 0 to 19): how much lower the hashing threads' CPU priority is than
    the requests', so that pages and answers are served first while a storm of sign-ins is hashed.
    """

    pool_size: int
    queue: int
    wait_seconds: int
    nice: int = 10


def hashing_settings() -> HashingSettings:
    return HashingSettings(pool_size=_count("MASH_HASHING_POOL_SIZE", max(1, (os.cpu_count() or 1) // 4), minimum=0),
                           queue=_count("MASH_HASHING_QUEUE", 64, minimum=0),
                           wait_seconds=_count("MASH_HASHING_WAIT_SECONDS", 30),
                           nice=min(19, _count("MASH_HASHING_NICE", 10, minimum=0)))
