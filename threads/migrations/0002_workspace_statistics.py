"""Extended statistics on (owner_id, org_id, status) for PostgreSQL's planner.

The planner treats the three columns as independent, so for a large workspace it can expect fewer rows than a
page holds, read them all and sort them instead of walking the workspace's index in order (measured on
1,000,000 threads: `?status=archived` of a heavy organization member sorted every archived thread). Knowing
the columns' dependencies and most common combinations keeps the estimate near the truth. Other databases
have no such statistics object; the migration does nothing there.
"""

from django.db import migrations

CREATE = (
    "CREATE STATISTICS IF NOT EXISTS thread_workspace_stats (dependencies, mcv) "
    "ON owner_id, org_id, status FROM threads_thread"
)
DROP = "DROP STATISTICS IF EXISTS thread_workspace_stats"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("threads", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
