"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bhc.db import Database, alembic_config_for
from bhc.models import Base


def test_a_database_upgraded_to_head_matches_the_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_users_and_audit_migration_goes_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'bhc.sqlite3'}"
    database = Database(url)
    try:
        database.upgrade()
        added = {"users", "user_neighbourhoods", "login_failures", "audit_log"}
        assert added <= set(inspect(database.engine).get_table_names())
        command.downgrade(alembic_config_for(url), "0001")
        assert not added & set(inspect(database.engine).get_table_names())
        database.upgrade()
        assert added <= set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()
