"""`harbour check` loads the whole dictionary, so a bad edit fails before deployment."""

from typing import Any

from django.core.checks import Error, register

from harbour.standard.dictionary import DictionaryError, load_dictionary


@register("harbour")
def check_dictionary_loads(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        load_dictionary()
    except DictionaryError as exc:
        return [Error(f"The data dictionary does not load: {exc}", id="harbour.E010")]
    return []
