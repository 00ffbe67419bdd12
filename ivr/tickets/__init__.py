"""Tickets: every call becomes one, through a crash-safe write-behind path.

- `events` / `stream`: the CallEvents webhooks append to a Redis stream.
- `persister`: the consumer group that stores them (ack after commit).
- `store`: the SQLAlchemy ticket store (SQLite or PostgreSQL), `db`: engines
  and Alembic migrations, `models`: the tables, `projection`: events -> ticket.
- `customers`: the per-caller summary in Redis that flow and routing read.
- `redact`: card numbers, resident IDs, CVVs and PINs out of text and logs.
- `reports`: the period summary.
"""
