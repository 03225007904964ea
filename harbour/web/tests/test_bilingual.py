"""A label shown in both languages marks each with its language (the survivor's printed copy)."""

from django.utils.html import escape

from harbour.standard.dictionary import current
from harbour.web.templatetags.harbour import bilingual_label


def test_each_language_is_marked() -> None:
    field = current().entity("case").field("intake_province")
    shown = str(bilingual_label(field))
    en, fr = escape(field.label.en), escape(field.label.fr)
    assert shown == f'<span lang="en">{en}</span> / <span lang="fr">{fr}</span>'

    assert bilingual_label(None) == ""
