"""API tokens are now issued only to sessions that passed a second factor (ADR 38): tokens
issued before, on a password alone, are revoked once at upgrade. People create new ones after
signing in with their second factor."""

from typing import Any

from django.db import migrations
from django.utils import timezone


def revoke(apps: Any, schema_editor: Any) -> None:
    tokens = apps.get_model("accounts", "ApiToken")
    tokens.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_second_factors")]
    operations = [migrations.RunPython(revoke, migrations.RunPython.noop)]
