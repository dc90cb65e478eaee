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


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_cases_workflow_is_stored_compressed_with_lz4_on_postgresql(api, database_url):
    """Migration 0032: each step rewrites the case's serialized workflow, and lz4 writes it in a fraction of the
    time of PostgreSQL's default (pglz). (This server is Debian's PostgreSQL, built with lz4.)"""
    from sqlalchemy import text

    from app.core.db import get_db
    from tests.api.test_referral_walks import report

    case_id = report(api)
    with get_db().unit_of_work(write=False) as session:
        method, size, length = session.execute(text(
            "SELECT pg_column_compression(state), pg_column_size(state), octet_length(state) FROM mash_case "
            "WHERE id = :id"), {"id": case_id}).one()
    assert length > 2000, "the state is too small to be compressed: this test tests nothing"
    assert method == "lz4" and size < length
