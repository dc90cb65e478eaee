"""Alembic environment: the app's metadata, the URL from the caller (mash init-db) or MASH_DATABASE_URL."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import app.models  # noqa: F401  (registers every table)
from app.core.config import load_settings
from app.core.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or load_settings().database_url


def include_name(name, type_, parent_names):
    # The scheduler's own tables are not ours to migrate.
    return not (type_ == "table" and name and name.startswith("apscheduler"))


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, include_name=include_name,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, include_name=include_name,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
