"""Persistence: engine and migrations, tables, snapshots, polls, change queries and search."""
