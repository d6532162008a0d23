"""Alembic revisions of the state store, oldest first (Alembic itself skips this file)."""
