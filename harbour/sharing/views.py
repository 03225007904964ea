import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.cases import policy as case_policy
from harbour.cases import queries as case_queries
from harbour.cases.forms import DictionaryForm, fields_of
from harbour.core.errors import DomainError, NotFound, TooManyAttempts
from harbour.core.forms import show_errors, uuid_or_none
from harbour.orgs.models import Organisation
from harbour.sharing import actions, policy, presentation, queries, states
from harbour.sharing.forms import (
    AgreementForm,
    ConsentForm,
    DeclineForm,
    OutcomeForm,
    ReceiptLookupForm,
    ReferralForm,
)
from harbour.sharing.models import Agreement, Notification, Purpose, ReferralKind
from harbour.standard.dictionary import current


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _fail(request: HttpRequest, exc: DomainError) -> None:
    errors = getattr(exc, "errors", {}) or {"": [exc.message]}
    for msgs in errors.values():
        for message in msgs:
            messages.error(request, str(message))


# --- consent ----------------------------------------------------------------------------------


@login_required
def consents(request: HttpRequest, survivor_id: str) -> HttpResponse:
    user = _user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    form = ConsentForm(request.POST or None, org_id=user.org_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org_id = uuid_or_none(data["recipient_org"])
        org = Organisation.objects.filter(pk=org_id).first() if org_id else None
        try:
            consent = actions.record_consent(
                by=user,
                survivor=survivor,
                recipient_kind=data["recipient_kind"],
                recipient_org=org,
                recipient_org_type=data["recipient_org_type"],
                categories=data["categories"],
                purposes=data["purposes"],
                method=data["method"],
                starts_on=data["starts_on"],
                expires_on=data["expires_on"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded. Print or show the receipt now."))
            return _show_code_once(request, consent)
    rows = [
        {"consent": c, "status": queries.consent_status(c)}
        for c in policy.consents_of(user, survivor).select_related("recipient_org")
    ]
    context = {
        "survivor": survivor,
        "form": form,
        "rows": rows,
        "categories": {c.id: c for c in current().categories},
        "cases": survivor.cases.order_by("-intake_date"),
    }
    return render(request, "sharing/consents.html", context)


@login_required
def receipt(request: HttpRequest, consent_id: str) -> HttpResponse:
    user = _user(request)
    consent = policy.consent_for(user, consent_id)
    cats = [current().category(c) for c in consent.categories]
    context = {
        "consent": consent,
        # Shown once, on the page right after it was issued; only its hash is stored.
        "code": request.session.pop(_code_key(consent), None),
        "categories": cats,
        "status": queries.consent_status(consent),
        "purposes": [Purpose(p) for p in consent.purposes],
        "org_types": current().codelists["organisation_type"],
    }
    return render(request, "sharing/receipt.html", context)


def _code_key(consent: Any) -> str:
    return f"harbour:receipt:{consent.pk}"


def _show_code_once(request: HttpRequest, consent: Any) -> HttpResponse:
    request.session[_code_key(consent)] = consent.issued_code
    return redirect("sharing:receipt", consent_id=consent.pk)


@login_required
@require_POST
def reissue_code(request: HttpRequest, consent_id: str) -> HttpResponse:
    """The survivor lost the receipt: a new code; the old one stops working."""
    user = _user(request)
    consent = policy.consent_for(user, consent_id)
    try:
        consent = actions.reissue_receipt_code(by=user, consent=consent)
    except DomainError as exc:
        _fail(request, exc)
        return redirect("sharing:receipt", consent_id=consent.pk)
    messages.success(request, _("A new code is on this receipt. The old code no longer works."))
    return _show_code_once(request, consent)


@login_required
@require_POST
def withdraw(request: HttpRequest, consent_id: str) -> HttpResponse:
    user = _user(request)
    consent = policy.consent_for(user, consent_id)
    try:
        actions.withdraw_consent(by=user, consent=consent)
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("The consent is withdrawn. Sharing stopped immediately."))
    return redirect("sharing:consents", survivor_id=consent.survivor_id)


@login_required
def lookup(request: HttpRequest) -> HttpResponse:
    """Find a consent from the code on a survivor's receipt, in any organisation, to withdraw it."""
    user = _user(request)
    if not can(user, Perm.CASE_EDIT):
        raise NotFound()
    form = ReceiptLookupForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        try:
            found = actions.find_consent_by_receipt(by=user, code=form.cleaned_data["code"])
        except NotFound:
            form.add_error("code", _("No consent has this code. Check it with the survivor."))
        except TooManyAttempts as exc:
            form.add_error("code", str(exc.message))
        else:
            if request.POST.get("withdraw") == "1":
                try:
                    actions.withdraw_consent(by=user, consent=found)
                except DomainError as exc:
                    form.add_error(None, str(exc.message))
                else:
                    messages.success(
                        request,
                        _(
                            "The consent is withdrawn. Sharing stopped "
                            "immediately, and its organisation is told."
                        ),
                    )
                    return redirect("sharing:lookup")
    context = {
        "form": form,
        "found": found,
        "status": queries.consent_status(found) if found else None,
    }
    return render(request, "sharing/lookup.html", context)


# --- referrals ---------------------------------------------------------------------------------


def _referral_fields() -> list[Any]:
    return [f for f in fields_of(current().entity("referral")) if f.id != "receiving_org"]


def _services() -> list[tuple[str, str]]:
    from harbour.directory.models import Service

    rows = Service.objects.filter(org__isnull=False).select_related("org").order_by("name")
    return [(str(s.pk), f"{s.name} — {s.org.name if s.org else ''}") for s in rows[:500]]


@login_required
def refer(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_policy.case_for(user, case_id, Perm.CASE_EDIT)
    choose = ReferralForm(request.POST or None, org_id=user.org_id, services=_services())
    details = DictionaryForm(
        request.POST or None, parts=[(current().entity("referral"), _referral_fields())]
    )
    preview = None
    if request.method == "POST" and choose.is_valid() and details.is_valid():
        receiving = Organisation.objects.filter(pk=choose.cleaned_data["receiving_org"]).first()
        if receiving is None:
            raise NotFound()
        if "confirm" in request.POST:
            return _send(request, user, case, receiving, choose, details)
        preview = _preview(case, receiving, choose.cleaned_data["kind"])
    context = {"case": case, "choose": choose, "form": details, "preview": preview}
    return render(request, "sharing/refer.html", context)


def _preview(case: Any, receiving: Organisation, kind: str) -> dict[str, Any]:
    """Exactly which fields will be shared, before anything is sent."""
    purpose = Purpose.CONTINUITY if kind == ReferralKind.TRANSFER else Purpose.REFERRAL
    categories = policy.allowed_categories(
        viewer_org=receiving,
        holder_org_id=case.org_id,
        survivor_id=case.survivor_id,
        purposes=frozenset({purpose}),
    )
    fields = [
        {
            "entity": e.label,
            "category": current().category(cat).label,
            "fields": [f.label for f in e.fields if f.category == cat],
        }
        for e in (current().entity("survivor"), current().entity("case"))
        for cat in sorted(categories)
    ]
    return {
        "org": receiving,
        "categories": categories,
        "fields": [f for f in fields if f["fields"]],
    }


def _send(
    request: HttpRequest,
    user: User,
    case: Any,
    receiving: Organisation,
    choose: ReferralForm,
    details: DictionaryForm,
) -> HttpResponse:
    from harbour.directory.models import Service

    service_id = uuid_or_none(choose.cleaned_data["service"])
    service = Service.objects.filter(pk=service_id).first() if service_id else None
    try:
        referral = actions.send_referral(
            by=user,
            case=case,
            receiving_org=receiving,
            values=details.cleaned_by_entity["referral"],
            kind=choose.cleaned_data["kind"],
            service=service,
        )
    except DomainError as exc:
        _fail(request, exc)
        return redirect("sharing:refer", case_id=case.pk)
    messages.success(request, _("Referral sent. You will be told when it is answered."))
    return redirect("sharing:referral", referral_id=referral.pk)


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Perm.CASE_VIEW):
        raise NotFound()
    lists = queries.referral_lists(user)
    now = timezone.now()
    rows = {box: presentation.referral_rows(qs, box, now, limit=200) for box, qs in lists.items()}
    return render(request, "sharing/referrals.html", {"rows": rows})


@login_required
def referral_detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    user = _user(request)
    referral = policy.referral_for(user, referral_id)
    receiving = referral.receiving_org_id == user.org_id
    side = states.Side.RECEIVER if receiving else states.Side.SENDER
    shared = None
    grants = policy.referral_grants(referral)
    if receiving and grants:  # this referral, in a state that grants access (ADR 8)
        try:
            shared = policy.shared_case_for(user, referral.case_id)
        except NotFound:
            shared = None
    context = {
        "referral": referral,
        "receiving": receiving,
        "shared": shared,
        "transitions": states.available(referral.status, side) if can(user, Perm.CASE_EDIT) else [],
        "decline_form": DeclineForm(),
        "outcome_form": OutcomeForm(),
        "overdue": queries.is_overdue(referral),
        "expired": queries.is_expired(referral),
        "grants": grants,
        "details": _referral_values(referral, shared, receiving),
        "survivor_labels": _labels("survivor"),
        "immigration_labels": _labels("immigration_step"),
        "case_labels": _labels("case"),
    }
    return render(request, "sharing/referral.html", context)


def _labels(entity_id: str) -> dict[str, Any]:
    return {f.id: f for f in current().entity(entity_id).fields}


def _referral_values(referral: Any, shared: Any, receiving: bool) -> list[tuple[Any, str]]:
    """The referral's own fields; the receiver sees them only while sharing is allowed."""
    from harbour.cases.values import display_value

    if receiving and (shared is None or not shared.categories):
        return []
    values = policy.filter_values(
        referral, "referral", frozenset(c.id for c in current().categories)
    ).values
    entity = current().entity("referral")
    return [
        (entity.field(k).label, display_value(entity.field(k), v))
        for k, v in values.items()
        if v not in (None, "", []) and k != "receiving_org"
    ]


@login_required
@require_POST
def referral_move(request: HttpRequest, referral_id: str, name: str) -> HttpResponse:
    user = _user(request)
    referral = policy.referral_for(user, referral_id)
    try:
        if name == "accept":
            actions.accept_referral(by=user, referral=referral)
        elif name == "decline":
            actions.decline_referral(
                by=user, referral=referral, reason=request.POST.get("decline_reason", "")
            )
        elif name == "complete":
            actions.complete_referral(
                by=user, referral=referral, outcome=request.POST.get("outcome", "")
            )
        elif name == "withdraw":
            actions.withdraw_referral(by=user, referral=referral)
        else:
            raise NotFound()
    except NotFound:
        raise
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Done."))
    return redirect("sharing:referral", referral_id=referral.pk)


@login_required
def open_case(request: HttpRequest, referral_id: str) -> HttpResponse:
    """The receiving organisation records its own intake for an accepted referral."""
    user = _user(request)
    referral = policy.referral_for(user, referral_id)
    if referral.receiving_org_id != user.org_id or not can(user, Perm.CASE_CREATE):
        raise NotFound()
    case_entity = current().entity("case")
    form = DictionaryForm(
        request.POST or None,
        parts=[
            (
                case_entity,
                fields_of(
                    case_entity,
                    only=["intake_date", "intake_province", "consent_to_record", "current_needs"],
                ),
            )
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = actions.open_case_for_referral(
                by=user,
                referral=referral,
                case_values=form.cleaned_by_entity["case"],
                submission_key=f"referral:{referral.pk}",
            )
        except DomainError as exc:
            _fail(request, exc)
        else:
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "sharing/open_case.html", {"form": form, "referral": referral})


# --- shared records and the continuum ---------------------------------------------------------


@login_required
def shared_case(request: HttpRequest, case_id: str) -> HttpResponse:
    shared = policy.shared_case_for(_user(request), case_id)
    context = {
        "shared": shared,
        "survivor_labels": _labels("survivor"),
        "immigration_labels": _labels("immigration_step"),
        "case_labels": _labels("case"),
        "categories": current().categories,
    }
    return render(request, "sharing/shared_case.html", context)


@login_required
def continuum(request: HttpRequest, survivor_id: str) -> HttpResponse:
    user = _user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    items = queries.continuum(user, survivor)
    return render(
        request,
        "sharing/continuum.html",
        {"survivor": survivor, "items": items, "labels": _kind_labels()},
    )


def _kind_labels() -> dict[str, Any]:
    labels: dict[str, Any] = {
        k: current().entity(k).label for k in queries.RECORD_CATEGORY if k in current().entities
    }
    labels["intake"] = _("Intake (episode opened)")
    return labels


# --- survivor rights ---------------------------------------------------------------------------


@login_required
def rights(request: HttpRequest, survivor_id: str) -> HttpResponse:
    user = _user(request)
    survivor = case_policy.survivor_for(user, survivor_id, Perm.SURVIVOR_IDENTITY_VIEW)
    output = request.GET.get("format")
    if output in {"json", "print"}:
        actions.record_export(by=user, survivor=survivor, output=output)
        data = queries.survivor_export(survivor)
        if output == "json":
            response = HttpResponse(
                json.dumps(data, indent=2, ensure_ascii=False, default=str),
                content_type="application/json; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{survivor.reference}.json"'
            return response
        kinds = list(case_queries.RECORD_MODELS)
        context = {
            "survivor": survivor,
            "data": data,
            "labels": _labels("survivor"),
            "case_labels": _labels("case"),
            "record_labels": {k: _labels(k) for k in kinds},
            "kind_labels": _kind_labels(),
            "categories": {c.id: c.label for c in current().categories},
            "referral_kinds": dict(ReferralKind.choices),
            "referral_statuses": dict(states.ReferralStatus.choices),
        }
        return render(request, "sharing/export.html", context)
    return render(
        request,
        "sharing/rights.html",
        {"survivor": survivor, "may_erase": can(user, Perm.CASE_REOPEN)},
    )


@login_required
@require_POST
def erase(request: HttpRequest, survivor_id: str) -> HttpResponse:
    user = _user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    if request.POST.get("confirm") != survivor.reference:
        messages.error(request, _("Type the survivor's reference to confirm the erasure."))
        return redirect("sharing:rights", survivor_id=survivor.pk)
    try:
        actions.erase_survivor(by=user, survivor=survivor)
    except DomainError as exc:
        _fail(request, exc)
        return redirect("sharing:rights", survivor_id=survivor.pk)
    messages.success(
        request,
        _(
            "Everything this organisation held about the survivor has been "
            "erased. The audit trail keeps a trace without the data."
        ),
    )
    return redirect("cases:list")


@login_required
@require_POST
def legal_hold(request: HttpRequest, survivor_id: str) -> HttpResponse:
    user = _user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    try:
        actions.set_legal_hold(by=user, survivor=survivor, hold=request.POST.get("hold") == "1")
    except DomainError as exc:
        _fail(request, exc)
    return redirect("sharing:rights", survivor_id=survivor.pk)


# --- agreements ----------------------------------------------------------------------------------


@login_required
def agreements(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not (can(user, Perm.STAFF_MANAGE) or can(user, Perm.ORGS_MANAGE)):
        raise NotFound()
    national = request.GET.get("national") == "1" or request.POST.get("national") == "1"
    form = AgreementForm(request.POST or None, org_id=user.org_id, national=national)
    if request.method == "POST" and form.is_valid():
        try:
            _create_agreement(user, form.cleaned_data, national)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved. Each partner's administrator must accept it."))
            return redirect("sharing:agreements")
    rows = [
        {
            "agreement": a,
            "parties": list(a.parties.select_related("org")),
            "mine": _my_party(a, user),
        }
        for a in policy.agreements_for(user).prefetch_related("parties")
    ]
    return render(
        request, "sharing/agreements.html", {"rows": rows, "form": form, "national": national}
    )


def _create_agreement(user: User, data: dict[str, Any], national: bool) -> Agreement:
    common = {
        k: data[k]
        for k in ("title", "categories", "purposes", "valid_from", "valid_until", "signatories")
    }
    if national:
        return actions.create_national_protocol(by=user, **common)
    partners = list(Organisation.objects.filter(pk__in=data["partners"]))
    return actions.propose_agreement(by=user, partners=partners, **common)


def _my_party(agreement: Agreement, user: User) -> Any:
    return next((p for p in agreement.parties.all() if p.org_id == user.org_id), None)


@login_required
@require_POST
def agreement_move(request: HttpRequest, agreement_id: str, name: str) -> HttpResponse:
    user = _user(request)
    agreement = policy.agreement_for(user, agreement_id)
    moves = {
        "accept": actions.accept_agreement,
        "leave": actions.leave_agreement,
        "adopt": actions.adopt_national_protocol,
    }
    if name not in moves:
        raise NotFound()
    try:
        moves[name](by=user, agreement=agreement)
    except NotFound:
        raise
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Done."))
    return redirect("sharing:agreements")


# --- notifications ---------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = Notification.objects.filter(user=user).select_related(
        "referral", "consent", "immigration_step"
    )[:100]
    if request.method == "POST":
        actions.mark_notifications_read(by=user)
        return redirect("sharing:notifications")
    return render(request, "sharing/notifications.html", {"rows": rows})
