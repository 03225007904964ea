from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "harbour.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from harbour.core import (
            checks,  # noqa: F401  (registers the system checks)
            tenancy,
        )

        connection_created.connect(tenancy.on_connection_created)
        # After every migrate, so a table created today is under row-level security today.
        post_migrate.connect(tenancy.install, sender=self)
