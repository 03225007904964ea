"""A `next` value only ever leads to a page of this site; anything else falls back, never a 500."""

import pytest
from django.test import RequestFactory

from harbour.web.redirects import is_local_path, next_or


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("/cases/", True),
        ("/cases/?page=2", True),
        ("", False),
        ("0", False),  # Django's redirect would look for a view named "0"
        ("-1", False),
        ("//evil.example/", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("web:home", False),
    ],
)
def test_only_local_paths_are_followed(target: str, local: bool) -> None:
    request = RequestFactory().get("/")
    assert is_local_path(request, target) is local
    assert next_or(request, target, "web:home") == (target if local else "/")


@pytest.mark.django_db
def test_a_bare_word_as_next_after_the_second_factor_is_not_a_server_error(
    client_for, caseworker
) -> None:
    answer = client_for(caseworker).get("/accounts/second-factor/", {"next": "0"})
    assert answer.status_code == 302 and answer["Location"] == "/"
