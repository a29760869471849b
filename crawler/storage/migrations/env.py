"""Alembic's entry point: runs on the connection ``crawler.storage.schema`` hands over.

No alembic.ini: the configuration is built in code, so the same migrations run from
``Storage(url)``, ``partyfeed db upgrade`` and the tests.  ``render_as_batch`` lets
column changes work on SQLite (copy-and-move tables).
"""

from alembic import context

from crawler.storage.models import Base
from crawler.storage.tracking import include_name

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True, include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
