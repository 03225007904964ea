"""Log hygiene: log records never carry query strings or request bodies."""

import logging
import re

_QUERY = re.compile(r"\?[^\s\"']*")


class ScrubFilter(logging.Filter):
    """Drops query strings from messages; a search term in a URL could be a survivor's name."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub("?[scrubbed]", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?[scrubbed]", a) if isinstance(a, str) else a for a in record.args
            )
        # The request object holds bodies and cookies; handlers must not format it.
        if hasattr(record, "request"):
            record.request = None
        return True
