"""Alembic migrations of the partyfeed database (run through ``crawler.storage.schema``)."""
