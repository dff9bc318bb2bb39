"""Alembic migrations of the web database (the folder is the Alembic script location)."""
