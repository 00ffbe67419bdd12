"""Alembic migrations of the ticket store (script location inside the package)."""
