"""Append-only triggers on PostgreSQL (audit.triggers); nothing on SQLite.

Tables created by later migrations are covered by the post_migrate hook that audit.triggers
connects when this module is imported.
"""

from django.db import migrations

from audit.triggers import install_append_only_triggers, remove_append_only_triggers


def install(apps, schema_editor):
    install_append_only_triggers(using=schema_editor.connection.alias, app_registry=apps)


def remove(apps, schema_editor):
    remove_append_only_triggers(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditcheckpoint_subsidyrule_historicalriskflag_and_more")]
    operations = [migrations.RunPython(install, remove, elidable=False)]
