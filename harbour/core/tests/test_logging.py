import logging

from harbour.core.logging import ScrubFilter


def _record(msg: str, *args: object) -> logging.LogRecord:
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)
    setattr(record, "request", object())  # noqa: B010 - LogRecord declares no such attribute
    return record


def test_query_strings_and_requests_never_reach_a_log() -> None:
    record = _record("Not Found: %s", "/cases/search/?name=Elodie+Tremblay")
    assert ScrubFilter().filter(record)
    assert "Elodie" not in record.getMessage() and "?[scrubbed]" in record.getMessage()
    assert record.request is None  # type: ignore[attr-defined]


def test_messages_without_arguments_are_scrubbed_too() -> None:
    record = _record("GET /directory/care-map/?place=Iqaluit&age=17")
    ScrubFilter().filter(record)
    assert "Iqaluit" not in record.getMessage()
