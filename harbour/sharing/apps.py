from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "harbour.sharing"
    label = "sharing"
    verbose_name = _("Consent and sharing")
