"""Invariant 1: a user of another organisation gets nothing from any page, API endpoint or
command.

Every URL the project defines is enumerated from the URL resolver, so a new page or endpoint is
covered the day it is added: a URL parameter this test does not know makes it fail, asking for
the parameter to be added below.
"""

import io
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command, get_commands
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from harbour.accounts.actions import invite, issue_token
from harbour.audit.actions import SystemActor
from harbour.cases import actions
from harbour.cases.models import CaseNote, Screening
from harbour.core.errors import Forbidden
from harbour.directory import actions as directory
from harbour.directory.models import ServiceAtLocation
from harbour.interchange import actions as interchange
from harbour.sharing import actions as sharing
from harbour.standard import delphi

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("tests")
HIDDEN_STREET, HIDDEN_POSTAL = "1717 Zephyr Hollow Road", "M4Y 7Z7"

# URL prefixes that are public or not about any organisation's records.
PUBLIC = ("standard/", "api/v1/standard", "i18n/", "static/", "reference-admin/", "exit/")
OUTSIDER_ROLES = (
    "caseworker",
    "supervisor",
    "org_admin",
    "auditor",
    "national_analyst",
    "researcher",
)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def all_routes() -> list[str]:
    return sorted(set(_walk(get_resolver().url_patterns)))


@pytest.fixture
def victim_world(
    org, caseworker, supervisor, org_admin, make_case, make_org, make_user, make_hidden_safe_house
) -> dict[str, Any]:
    """Organisation A with a case that has something of every kind in it, shared with a partner
    C (never with the outsiders' organisation B)."""
    case = make_case(
        caseworker, survivor={"given_name": "Zephyrine", "family_name": "Quillfeather"}
    )
    partner = make_org(province="CA-QC")
    make_user("caseworker", partner)
    consent = sharing.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["identity_contact", "case_summary"],
        purposes=["referral"],
        method="verbal",
    )
    agreement = sharing.propose_agreement(
        by=org_admin,
        title="A-C",
        partners=[partner],
        categories=["identity_contact", "case_summary"],
        purposes=["referral"],
        valid_from=consent.starts_on,
    )
    sharing.accept_agreement(by=make_user("org_admin", partner), agreement=agreement)
    referral = sharing.send_referral(
        by=caseworker,
        case=case,
        receiving_org=partner,
        values={"referral_date": consent.starts_on, "reason": "other"},
    )
    safe_house, hidden, closure = _safe_house(make_hidden_safe_house, org, consent.starts_on)
    note = actions.add_record(by=caseworker, case=case, model=CaseNote, values={"body": "Private"})
    chosen = delphi.load_catalogue().get_set("adult-labour")
    screening = actions.screen(
        by=caseworker,
        case=case,
        indicator_set="adult-labour",
        indicators=[next(chosen.indicators()).id],
    )
    draft = actions.save_draft(by=caseworker, data={"survivor__given_name": ["Zephyrine"]})
    token, _plain = issue_token(by=caseworker, name="victim token")
    invitation = invite(
        by=org_admin, org=org, email="newcomer@example.org", full_name="Newcomer", role="auditor"
    )
    # An import waiting for its check, of a file that names a survivor (interchange).
    upload = b"given_name,family_name,intake_date\r\nZephyrine,Quillfeather,2026-11-02\r\n"
    import_job = interchange.create_import_job(by=supervisor, data=upload)
    return {
        "invitation": invitation,
        "import_job": import_job,
        "case": case,
        "note": note,
        "screening": screening,
        "draft": draft,
        "token": token,
        "consent": consent,
        "agreement": agreement,
        "referral": referral,
        "service": safe_house,
        "location": hidden,
        "closure": closure,
        "users": [caseworker, supervisor, org_admin],
        # (Record ids are not secrets here: the requester typed them into the URL.)
        "secrets": [
            "Zephyrine",
            "Quillfeather",
            case.reference,
            case.survivor.reference,
            HIDDEN_STREET,
            HIDDEN_POSTAL,
        ],
    }


def _safe_house(make: Any, org: Any, today: Any) -> tuple[Any, Any, Any]:
    """A hidden safe house of organisation A, with a closure: its address must never leak."""
    service, location = make(
        org, name="Zephyr", street=HIDDEN_STREET, postal=HIDDEN_POSTAL, at=(43.7, -79.4)
    )
    closure = directory.add_closure(by=SYSTEM, service=service, starts_on=today, ends_on=today)
    return service, location, closure


def _values(world: dict[str, Any]) -> dict[str, str]:
    case = world["case"]
    return {
        "consent_id": str(world["consent"].pk),
        "job_id": str(world["import_job"].pk),
        "agreement_id": str(world["agreement"].pk),
        "referral_id": str(world["referral"].pk),
        "code": "CA-ON",  # a province (the coverage pages); receipt codes never go in a URL
        "move": "accept",
        "name": "accept",
        "service_id": str(world["service"].pk),
        "location_id": str(world["location"].pk),
        "closure_id": str(world["closure"].pk),
        # HSDS record ids, per collection: the hidden safe house's records
        "id": str(world["service"].pk),
        "id:organizations": str(world["service"].provider_id),
        "id:service_at_locations": str(
            ServiceAtLocation.objects.get(location=world["location"]).pk
        ),
        "case_id": str(case.pk),
        "survivor_id": str(case.survivor_id),
        "draft_id": str(world["draft"].pk),
        "record_id": str(world["note"].pk),
        "screening_id": str(world["screening"].pk),
        "user_id": str(world["users"][0].pk),
        "token_id": str(world["token"].pk),
        "invitation_id": str(world["invitation"].pk),
        # An invitation or reset link's secret: the outsider does not have organisation A's.
        "token": "not-a-link-this-user-was-sent",
        "kind": "case_note",
        "entity_id": "case",
        "group_id": "needs",
        "set_id": "adult-labour",
        "list_id": "province",
        "org_id": str(case.org_id),
        "checkpoint_id": _checkpoint_of(case.org_id),
        # Grants: funding data is not any organisation's records (ADR 25); unknown ids.
        "program_id": str(uuid.uuid4()),
        "funder_id": str(uuid.uuid4()),
        "award_id": str(uuid.uuid4()),
        "committee_id": str(uuid.uuid4()),
        # A victim's authenticator being set up (ADR 38): nobody else may see or confirm it.
        "device_id": str(_authenticator_of(world["users"][0])),
        "factor_id": str(_authenticator_of(world["users"][0])),
        # Statistics: releases and extract requests belong to no organisation (ids not secrets).
        "release_id": str(uuid.uuid4()),
        "request_id": str(uuid.uuid4()),
        "decision": "publish",
        "fmt": "csv",
    }


def _authenticator_of(user: Any) -> Any:
    from harbour.accounts.actions import start_totp
    from harbour.accounts.models import TotpDevice

    found = TotpDevice.objects.filter(user=user).first()
    return found.pk if found else start_totp(by=user, name="Phone")[0].pk


def _checkpoint_of(org_id: Any) -> str:
    """A signed checkpoint of the victim organisation's audit chain (its download page)."""
    from harbour.audit.actions import SystemActor, sign_checkpoint

    return str(sign_checkpoint(by=SystemActor("tests"), scope=str(org_id)).pk)


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")


def concrete(route: str, values: dict[str, str]) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # regex routes: only Django's own admin and static helpers

    def substitute(match: re.Match[str]) -> str:
        name = match.group(2) or match.group(3)
        collection = route.split("/")[1] if route.startswith("hsds/") else ""
        if name == "id" and f"id:{collection}" in values:
            return values[f"id:{collection}"]
        if name not in values:
            raise AssertionError(f"add URL parameter {name!r} (in {route}) to test_cross_org")
        return values[name]

    return "/" + _PARAM.sub(substitute, route)


def _outsider(role: str, make_user: Any, other_org: Any) -> tuple[Any, Client, dict[str, str]]:
    user = make_user(role, other_org)
    headers: dict[str, str] = {}
    try:
        _token, plain = issue_token(by=user, name="outsider")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    except Forbidden:  # roles without API access: the web is swept, the API has no door
        headers = {}
    return user, Client(), headers


@pytest.fixture
def openapi_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each API's OpenAPI document built once per language, not at each of the sweep's requests
    for it (a fifth of the sweep's time under a profiler): the same document every time."""
    from django.utils import translation
    from ninja import NinjaAPI

    build = NinjaAPI.get_openapi_schema
    built: dict[tuple[int, str, str], Any] = {}

    def get_openapi_schema(self: NinjaAPI, **kwargs: Any) -> Any:
        key = (id(self), str(translation.get_language()), repr(sorted(kwargs.items())))
        if key not in built:
            built[key] = build(self, **kwargs)
        return built[key]

    monkeypatch.setattr(NinjaAPI, "get_openapi_schema", get_openapi_schema)


# One test per outsider role, so that the roles' sweeps run side by side (pytest-xdist).
@pytest.mark.parametrize("role", OUTSIDER_ROLES)
def test_every_page_and_endpoint_refuses_another_organisation(
    role, victim_world, make_user, other_org, openapi_built_once
) -> None:
    values = _values(victim_world)
    routes = [r for r in all_routes() if not r.startswith(PUBLIC)]
    assert len(routes) > 30
    checked = 0
    user, web, headers = _outsider(role, make_user, other_org)
    for route in routes:
        url = concrete(route, values)
        if url is None:
            continue
        for method in ("get", "post"):
            web.force_login(user)  # sign-out and quick exit end the session
            response = getattr(web, method)(url, **headers)
            where = f"{role} {method} {url}"
            _assert_nothing_leaks(response, victim_world["secrets"], where)
            if _names_a_record(route):
                # Forbidden must look exactly like missing: same answer as for a random id.
                web.force_login(user)
                missing = getattr(web, method)(concrete(route, _random_ids(values)), **headers)
                assert response.status_code == missing.status_code, where
                assert response.status_code >= 400, where
            checked += 1
    assert checked > 200


def _random_ids(values: dict[str, str]) -> dict[str, str]:
    return {
        k: (str(uuid.uuid4()) if k.endswith("_id") and "-" in v else v) for k, v in values.items()
    } | {"checkpoint_id": "987654321"}


def _names_a_record(route: str) -> bool:
    if route.startswith("directory/manage/") and "service_id" in route:
        return True  # another organisation's directory entries are not theirs to manage
    return any(
        p in route
        for p in (
            "case_id",
            "survivor_id",
            "draft_id",
            "record_id",
            "screening_id",
            "user_id",
            "token_id",
            "consent_id",
            "agreement_id",
            "referral_id",
            "checkpoint_id",
            "device_id",
            "factor_id",
        )
    )


def _assert_nothing_leaks(response: Any, secrets: list[str], where: str) -> None:
    body = response.content.decode(errors="replace")
    for secret in secrets:
        assert secret not in body, f"{where} shows {secret!r}"
    assert response.status_code < 500, where


def test_a_name_search_never_reaches_another_organisation(
    victim_world, make_user, other_org
) -> None:
    user = make_user("caseworker", other_org)
    web = Client()
    web.force_login(user)
    page = web.post("/cases/search/", {"name": "Zephyrine Quillfeather"})
    assert page.status_code == 200
    # The typed name is echoed back in the search box; nothing of organisation A is shown.
    case = victim_world["case"]
    _assert_nothing_leaks(page, [case.reference, case.survivor.reference], "search")
    assert "No survivor of this organisation matches" in page.content.decode()


def test_the_audit_trail_of_another_organisation_is_not_visible(
    victim_world, make_user, other_org
) -> None:
    auditor = make_user("auditor", other_org)
    web = Client()
    web.force_login(auditor)
    page = web.get("/audit/?action=case")
    assert "case.created" not in page.content.decode()


def test_screening_and_note_records_stay_with_their_case(victim_world) -> None:
    assert Screening.objects.filter(org=victim_world["case"].org).count() == 1
    assert CaseNote.objects.filter(case=victim_world["case"]).count() == 1


# Commands are run by the operator of the host, never by a user of an organisation: none signs
# in, so none can act "as another organisation". What can leak through a command is its output,
# so every Harbour command is either run below (and its output searched for organisation A's
# secrets) or listed here with the reason it is not.
COMMANDS_NOT_RUN = {
    "demo_load": "loads the demo data set (run by the demo and its own tests)",
    "web_demo": "loads the demo and serves it",
    "web_serve": "starts a web server",
    "directory_import": "reads a file the operator gives; its report names HSDS tables only",
    "grants_import": "reads a file the operator gives; its report names rows and columns only",
    "interchange_import": "imports into the organisation of the --user given (interchange tests)",
    "interchange_export": "exports the organisation of the --user given, audited (tests there)",
    "interchange_xlsform": "writes the intake form from the data dictionary: no records",
    "accounts_demo_code": "prints a demo account's 6-digit code (accounts tests)",
    "accounts_reset_second_factor": "prints only the account's own e-mail (accounts tests)",
    "stats_release": "defines a draft from catalogue variables (tests in harbour/stats)",
    "stats_publish": "publishes a draft: protected counts only (tests in harbour/stats)",
    "stats_export": "writes a published release: protected counts only (tests in harbour/stats)",
}


def _commands_to_run(tmp_path: Any, org: Any) -> dict[str, list[str]]:
    return {
        "accounts_invite": [
            *("--org", org.short_name, "--email", "admin2@example.org", "--name", "New Admin"),
        ],
        "accounts_second_factor_policy": [org.short_name],
        "api_openapi": ["--out", str(tmp_path / "openapi.json")],
        "cases_immigration": ["report", "--org", org.short_name, "--json"],
        "audit_verify": [],
        "audit_export": [org.short_name, "--out", str(tmp_path / "trail.csv")],
        "audit_checkpoint": ["--out", str(tmp_path / "checkpoints")],
        "audit_key": [],
        "audit_public_key": [],
        "audit_prune_refusals": [],
        "orgs_reseal": [],
        "orgs_sweep_keys": [],
        "directory_export": [str(tmp_path / "directory.json")],
        "help_harbour": [],
        "orgs_new_master_key": [],
        "orgs_rotate_data_key": [org.short_name],
        "orgs_rotate_master_key": [],
        "sharing_remind": [],
        "grants_export": ["partners", "--out", str(tmp_path / "partners.csv")],
        "grants_remind": [],
        "grants_committees": [],
        "standard_docs": ["--out", str(tmp_path / "dictionary.md")],
        "standard_export": ["--out", str(tmp_path / "standard")],
        "stats_budget": [],
        "web_check": [],
        "directory_regions": [],
        "linkage_encode": [],
        "linkage_run": [],
        "linkage_withdraw": ["--org", str(org.pk)],  # it removes that org's encodings
        "linkage_rejoin": ["--org", str(org.pk)],  # after withdraw: encodes them again
    }


def test_no_command_writes_an_organisations_survivors_or_hidden_places(
    victim_world, org, tmp_path
) -> None:
    ours = {name for name, app in get_commands().items() if app.startswith("harbour.")}
    runs = _commands_to_run(tmp_path, org)
    assert ours == set(runs) | set(COMMANDS_NOT_RUN), "classify the new command here"
    for name, args in runs.items():
        out, err = io.StringIO(), io.StringIO()
        call_command(name, *args, stdout=out, stderr=err)
        written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
        for text in (out.getvalue(), err.getvalue(), *written):
            for secret in victim_world["secrets"]:
                assert secret not in text, f"harbour {name} writes {secret!r}"
