"""Cross-cutting page behaviour: pagination links, the server-error page."""

from django.test import RequestFactory
from django.urls import get_resolver

from harbour.cases.models import Case


def test_next_page_leads_to_page_two(client_for, caseworker, make_case, db) -> None:
    for n in range(51):
        make_case(caseworker, survivor={"given_name": f"Person{n:02d}"})
    client = client_for(caseworker)
    first = client.get("/cases/")
    page = first.context["page"]
    assert page.number == 1 and page.paginator.num_pages == 3
    assert 'href="?page=2"' in first.content.decode()  # Next
    assert 'href="?page=3"' in first.content.decode()  # Last page
    second = client.get("/cases/?page=2")
    assert second.context["page"].number == 2
    last = client.get("/cases/?page=3")
    assert len(last.context["page"].object_list) == Case.objects.count() - 50
    assert 'href="?page=1"' in last.content.decode()


def test_the_server_error_page_is_styled_translated_and_has_the_quick_exit(settings) -> None:
    from django.utils import translation

    handler = get_resolver().resolve_error_handler(500)
    request = RequestFactory().get("/anything/")
    with translation.override("fr"):
        response = handler(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert 'id="quick-exit"' in body and "/exit/" in body
    assert "harbour.css" in body and "harbour.js" in body
    assert 'lang="fr"' in body and "Sortie rapide" in body


def test_api_documentation_is_served_from_here_with_the_quick_exit(client) -> None:
    import re

    from django.contrib.staticfiles import finders

    for url in ("/api/v1/docs", "/hsds/docs"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert 'id="quick-exit"' in body
        sources = re.findall(r'(?:src|href)="([^"]+)"', body)
        assert not [s for s in sources if "//" in s], sources  # nothing from another site
        assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    assert finders.find("ninja/swagger-ui-bundle.js")


def test_no_template_puts_a_question_mark_before_querystring() -> None:
    """`{% querystring %}` writes its own "?": a "?" before it made "Next" lead to `??page=2`,
    which shows page 1 again (the case list, the audit trail, directory results)."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    templates = [*root.glob("templates/**/*.html"), *root.glob("harbour/*/templates/**/*.html")]
    assert len(templates) > 50
    wrong = [str(t) for t in templates if "?{% querystring" in t.read_text(encoding="utf-8")]
    assert wrong == []
