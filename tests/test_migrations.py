"""Migrations build the whole schema from an empty database, and match the models exactly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.models  # noqa: F401
from app.cli import migrate
from app.core.config import load_settings
from app.core.db import Base


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_from_an_empty_database_match_the_models(backend, tmp_path, request):
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        server.execute("CREATE DATABASE mash_empty")
        url = server.url("mash_empty")
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate(load_settings(database_url=url, instance_path=tmp_path))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {"mash_case", "open_task", "audit_event", "process_version", "contact"} <= tables
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
        if backend == "postgresql":
            request.getfixturevalue("postgres").execute("DROP DATABASE mash_empty WITH (FORCE)")
