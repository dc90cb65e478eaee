"""Settings come from the environment so the same build runs in dev, CI and production."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

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
    session_cookie_secure: bool = False


def _secret_key(instance_path: Path) -> str:
    """Use MASH_SECRET_KEY, else a key generated once into instance/ (never committed)."""
    if key := os.environ.get("MASH_SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(**overrides) -> Settings:
    instance_path = Path(os.environ.get("MASH_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    instance_path.mkdir(parents=True, exist_ok=True)
    training = os.environ.get("MASH_TRAINING") == "1"
    # The training sandbox never shares a database with live work.
    default_db = f"sqlite:///{instance_path / ('training.db' if training else 'mash.db')}"
    values = dict(
        database_url=os.environ.get("MASH_DATABASE_URL", default_db),
        secret_key=_secret_key(instance_path),
        instance_path=instance_path,
        processes_dir=Path(os.environ.get("MASH_PROCESSES_DIR", PROJECT_ROOT / "processes")),
        forms_dir=Path(os.environ.get("MASH_FORMS_DIR", PROJECT_ROOT / "forms")),
        training=training,
        session_cookie_secure=os.environ.get("MASH_SECURE_COOKIES") == "1",
    )
    values.update(overrides)
    return Settings(**values)
