from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardConfig(AppConfig):
    name = "harbour.standard"
    label = "standard"
    verbose_name = _("Common terminology")

    def ready(self) -> None:
        from harbour.standard import checks  # noqa: F401  (registers the system checks)
