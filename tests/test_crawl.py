"""Every page works for every role: a crawl of the site as each demo account, in English and French.

On a small generated world (the demo loader with a few dozen cases), each demo account signs in
and follows every link, pagination control and GET form (search, filters) it finds, from its
landing page. It fails on any 5xx, any link to a page that answers 404, any HTML page without the
quick exit, any interface string left in English on a French page, and any identifying value of
another organisation's survivor (or hidden address) in a page. A new page is covered as soon as
something links to it. The slowest pages are printed (figures for benchmarks/, not assertions).

Then every id, page number and filter value of the URLs found is replaced by malformed, huge,
negative and foreign values: a 404 or a message, never a 500.

The default run visits a bounded number of pages per role (one per URL pattern, ids replaced);
HARBOUR_SLOW=1 (CI) visits several pages per pattern and many more in all on SQLite, and sweeps
more URLs with more bad values on PostgreSQL, whose types (an integer's range, NUL in text) turn
more bad values into errors: each deep half runs once in CI. Bounds stay: a search form's
combinations of filters have no end.
"""

import html
import os
import re
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from harbour.accounts.middleware import mark_second_factor_passed
from harbour.accounts.models import User
from harbour.cases.models import Case, Survivor
from harbour.cases.values import read_values
from harbour.demo.people import DEMO_LOGINS, NATIONAL_ORG, email_of
from harbour.sharing.policy import reasons_for
from harbour.testenv import on_postgresql

SLOW = os.environ.get("HARBOUR_SLOW") == "1"
DEEP_CRAWL = SLOW and not on_postgresql()
DEEP_SWEEP = SLOW and on_postgresql()
CASES = 60 if SLOW else 30  # every kind of record and sharing state, in a few seconds
# English; French gets half (the same pages first). HARBOUR_CRAWL_PAGES: to try a size by hand.
PAGES_PER_CRAWL = int(os.environ.get("HARBOUR_CRAWL_PAGES") or (600 if DEEP_CRAWL else 70))
PER_PATTERN = 5 if DEEP_CRAWL else 1
QUERIES_PER_ROUTE = 20 if DEEP_CRAWL else 3  # a route with different query strings (filters)
SWEEP_URLS = 80 if DEEP_SWEEP else 12
LOGINS = (*DEMO_LOGINS, ("org_admin", email_of("admin", NATIONAL_ORG)))

# Not crawled: leaving (quick exit, sign out), switching language (a POST), the reference-data
# admin (Django's own, English-only, for system staff) and static files.
SKIP = re.compile(r"^/(exit/|accounts/sign-out/|i18n/|reference-admin/|static/|media/)")
DOWNLOADS_SEEN: set[str] = set()
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NUMBER = re.compile(r"(?<=/)\d+(?=/)")

pytestmark = pytest.mark.django_db


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The demo, small, loaded once for the module and rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo_load", cases=CASES, seed=11, password="crawl-pass-42", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def _users() -> list[User]:
    emails = [email for _role, email in LOGINS]
    users = {u.email: u for u in User.objects.filter(email__in=emails).select_related("org")}
    return [users[e] for e in emails if e in users]


def _identifying_values(user: User) -> set[str]:
    """Full names and phone numbers of other organisations' survivors the user's organisation has
    no live reason to see (no referral, transfer or link), minus values its own survivors share."""
    own: set[str] = set()
    foreign: set[str] = set()
    for survivor in Survivor.objects.all():
        values = read_values(survivor, with_identity=True)
        found = _values_of(values)
        if survivor.org_id == user.org_id:
            own |= found
        elif not reasons_for(user.org_id, survivor.pk):
            foreign |= found
    return foreign - own


def _values_of(values: dict[str, Any]) -> set[str]:
    found = set()
    if values.get("given_name") and values.get("family_name"):
        found.add(f"{values['given_name']} {values['family_name']}")
    for key in ("mobile_phone", "home_phone", "email"):
        if values.get(key):
            found.add(str(values[key]))
    return found


# --- what a page contains ----------------------------------------------------------------------


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)


class PageParser(HTMLParser):
    """Links, GET forms (with a value for each field), and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.text: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._hidden_depth = 0  # inside <script>, <style> or an element marked lang="en"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in {"script", "style"} or a.get("lang") == "en" or self._hidden_depth:
            self._hidden_depth += tag not in {"input", "br", "img", "meta", "link", "hr"}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "get":
            self._form = Form(a.get("action", ""))
        elif tag == "form":
            self._form = None
        elif self._form is not None:
            self._field(tag, a)

    def _field(self, tag: str, a: dict[str, str]) -> None:
        assert self._form is not None
        name = a.get("name")
        if tag == "select" and name:
            self._select = name
            self._form.choices[name] = []
        elif tag == "option" and self._select:
            self._form.choices[self._select].append(a.get("value", ""))
        elif tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                self._form.choices.setdefault(name, []).append(a.get("value", "on"))
            elif kind != "submit":
                self._form.fields.append((name, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if self._hidden_depth:
            self._hidden_depth -= 1
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.text.append(data)


def _form_urls(page_url: str, form: Form) -> list[str]:
    """The form as sent with its defaults, then once with each choice of each list filled in."""
    action = urljoin(page_url, form.action or page_url)
    base = [(k, v) for k, v in form.fields if k != "csrfmiddlewaretoken"]
    urls = [f"{action}?{urlencode(base)}"]
    for name, options in form.choices.items():
        for value in [o for o in options if o][:2]:
            urls.append(f"{action}?{urlencode([*base, (name, value)])}")
    return urls


def _route(url: str) -> str:
    """The URL's route (`cases/<uuid:case_id>/`): one page stands for all pages of a route."""
    path = urlsplit(url).path
    try:
        return str(resolve(path).route)
    except Resolver404:
        return NUMBER.sub("{n}", UUID.sub("{id}", path))


def _pattern(url: str) -> str:
    keys = sorted({k for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if v})
    return f"{_route(url)}?{'&'.join(keys)}"


# --- French --------------------------------------------------------------------------------------


def _english_phrases() -> list[str]:
    """Interface strings whose French differs, long enough not to be a word both languages share."""
    po = polib.pofile(str(Path(settings.BASE_DIR) / "locale/fr/LC_MESSAGES/django.po"))
    phrases = []
    for e in po.translated_entries():
        text = e.msgid
        if e.msgid_plural or e.msgstr == text or re.search(r"[%{<]", text):
            continue
        if len(text) >= 14 and len(text.split()) >= 3:
            phrases.append(text)
    return phrases


ENGLISH = _english_phrases()


def _untranslated(text: str) -> list[str]:
    return [p for p in ENGLISH if p in text]


# --- the crawl ----------------------------------------------------------------------------------


@dataclass
class Visit:
    url: str
    status: int
    ms: float


@dataclass(frozen=True)
class Depth:
    """How far a crawl goes: pages in English (French gets half), pages per URL pattern, query
    variants per route."""

    pages: int
    per_pattern: int
    queries_per_route: int


PAGES_DEPTH = Depth(PAGES_PER_CRAWL, PER_PATTERN, QUERIES_PER_ROUTE)
# The sweep needs one page of each pattern, so its own crawl (in English) goes wide, not deep:
# the two tests need not share a crawl nor a worker.
SWEEP_DEPTH = Depth(600 if DEEP_SWEEP else 70, 1, 3)


@dataclass
class Crawl:
    user: User
    lang: str
    depth: Depth
    forbidden: set[str]
    visits: list[Visit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    patterns: dict[str, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)

    def client(self) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(self.user)
        # The crawl is built before the per-test fixture that does this for force_login: the
        # second factor (ADR 38) is tested through the sign-in form, the pages behind it here.
        session = client.session
        mark_second_factor_passed(session, self.user, "crawl")
        session.save()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = self.lang
        return client

    def run(self) -> "Crawl":
        client = self.client()
        queue: deque[tuple[str, str]] = deque([("/", "(start)")])
        self.seen.add("/")
        budget = self.depth.pages if self.lang == "en" else self.depth.pages // 2
        while queue and len(self.visits) < budget:
            url, source = queue.popleft()
            for found in self.visit(client, url, source):
                if self._wanted(found):
                    # Pagination first: the budget must not run out before any "next page"
                    # is followed (a list cut at page 1 was the bug this test was made for).
                    if "page=" in urlsplit(found).query:
                        queue.appendleft((found, url))
                    else:
                        queue.append((found, url))
        return self

    def _wanted(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.match(parts.path):
            return False
        if url in self.seen:
            return False
        pattern, route = _pattern(url), _route(url)
        if self.patterns.get(pattern, 0) >= self.depth.per_pattern:
            return False
        if self.routes.get(route, 0) >= self.depth.queries_per_route:
            return False
        if route in DOWNLOADS_SEEN:
            return False
        self.seen.add(url)
        self.patterns[pattern] = self.patterns.get(pattern, 0) + 1
        self.routes[route] = self.routes.get(route, 0) + 1
        return True

    def visit(self, client: Client, url: str, source: str) -> list[str]:
        started = time.perf_counter()
        response = client.get(url)
        self.visits.append(Visit(url, response.status_code, (time.perf_counter() - started) * 1e3))
        where = f"[{self.user.role} {self.lang}] {url} (linked from {source})"
        if response.status_code >= 500:
            self.problems.append(f"{response.status_code} {where}: {_error_of(response)}")
            return []
        if response.status_code == 404:
            self.problems.append(f"dead link: {where}")
            return []
        if response.status_code in {301, 302, 303, 307, 308}:
            return [urljoin(url, response["Location"])]
        if "text/html" not in response.get("Content-Type", ""):
            if not DEEP_CRAWL:  # a download is fetched by one crawl only (the default run's budget)
                DOWNLOADS_SEEN.add(_route(url))
            return []
        return self.check_page(url, where, response.content.decode())

    def check_page(self, url: str, where: str, page: str) -> list[str]:
        parser = PageParser()
        parser.feed(page)
        if 'id="quick-exit"' not in page:
            self.problems.append(f"no quick exit: {where}")
        if self.lang == "fr":
            text = html.unescape(" ".join(" ".join(parser.text).split()))
            for phrase in _untranslated(text):
                self.problems.append(f"English on a French page: {phrase!r} in {where}")
        for value in self.forbidden:
            if value in page:
                self.problems.append(f"another organisation's identifying value in {where}")
        for link in parser.links:
            if "??" in link or "&&" in link:
                self.problems.append(f"malformed link {link!r} in {where}")
        found = [urljoin(url, link.split("#")[0]) for link in parser.links if link[:1] != "#"]
        for form in parser.forms:
            found += _form_urls(url, form)
        return found


def _error_of(response: Any) -> str:
    info = getattr(response, "exc_info", None)
    return repr(info[1])[:300] if info else ""


def _report(crawls: list[Crawl]) -> None:
    """The slowest pages, for whoever reads the CI log (HARBOUR_CRAWL_LIST=1: every page)."""
    visits = sorted((v for c in crawls for v in c.visits), key=lambda v: -v.ms)
    total = sum(v.ms for v in visits)
    lines = []
    if os.environ.get("HARBOUR_CRAWL_LIST"):
        lines += [f"[{c.user.role} {c.lang}] " + " ".join(v.url for v in c.visits) for c in crawls]
    lines.append(f"crawled {len(visits)} pages in {total / 1e3:.1f} s; the slowest:")
    lines += [f"  {v.ms:7.0f} ms  {v.status}  {v.url}" for v in visits[:10]]
    print("\n" + "\n".join(lines))  # noqa: T201


def _crawl_all(depth: Depth, langs: tuple[str, ...], blocker: Any) -> list[Crawl]:
    done = []
    with blocker.unblock():
        for user in _users():
            forbidden = _identifying_values(user)
            for lang in langs:
                done.append(Crawl(user, lang, depth, forbidden).run())
    return done


@pytest.fixture(scope="module")
def crawls(world: None, django_db_blocker: Any) -> list[Crawl]:
    """Every demo account, in English then French."""
    done = _crawl_all(PAGES_DEPTH, ("en", "fr"), django_db_blocker)
    _report(done)
    return done


@pytest.fixture(scope="module")
def sweep_crawls(world: None, django_db_blocker: Any) -> list[Crawl]:
    """Every demo account in English, one page of each URL pattern."""
    return _crawl_all(SWEEP_DEPTH, ("en",), django_db_blocker)


def test_every_page_works_for_every_role_in_both_languages(crawls: list[Crawl]) -> None:
    assert len(crawls) == 2 * len(LOGINS)
    problems = [p for c in crawls for p in c.problems]
    assert not problems, "\n".join(sorted(set(problems)))
    # The crawl reached the depth of the site, not only the landing pages.
    caseworker = next(c for c in crawls if c.user.role == "caseworker")
    assert any("/cases/" in v.url and UUID.search(v.url) for v in caseworker.visits)
    assert any("page=2" in v.url for c in crawls for v in c.visits)
    admin = next(c for c in crawls if c.user.role == "system_admin")
    assert any(_route(v.url) == "organisations/<uuid:org_id>/" for v in admin.visits)


# --- bad values in every URL ----------------------------------------------------------------------

BAD = ["-1", "0", "99999999999999999999999", "abc", "'\"><script>x</script>", "\x00", "%", "é" * 3]
BAD_SLOW = [*BAD, "a" * 5000, "1e309", "NaN", "2026-02-30", "[]", "../../etc/passwd"]


def _bad_variants(url: str, foreign: str) -> Iterator[str]:
    parts = urlsplit(url)
    for match in UUID.finditer(parts.path):
        for value in (str(uuid.uuid4()), foreign):
            yield parts.path[: match.start()] + value + parts.path[match.end() :]
    query = parse_qsl(parts.query, keep_blank_values=True) or [("page", "1")]
    for i, (key, _value) in enumerate(query):
        for bad in BAD_SLOW if DEEP_SWEEP else BAD:
            changed = [*query[:i], (key, bad), *query[i + 1 :]]
            yield f"{parts.path}?{urlencode(changed)}"


def test_malformed_ids_pages_and_filters_never_give_a_500(sweep_crawls: list[Crawl]) -> None:
    failures = []
    for crawl in sweep_crawls:
        user = crawl.user
        foreign = str(Case.objects.exclude(org_id=user.org_id).values_list("pk", flat=True)[0])
        client = crawl.client()
        one_each = {_pattern(v.url): v.url for v in crawl.visits if v.status == 200}
        for url in list(one_each.values())[:SWEEP_URLS]:
            for bad in _bad_variants(url, foreign):
                response = client.get(bad)
                if response.status_code >= 500:
                    failures.append(f"[{user.role}] {bad}: {_error_of(response)}")
    assert not failures, "\n".join(failures)
