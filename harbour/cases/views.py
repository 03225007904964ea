import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.cases import actions, policy, presentation, queries, states
from harbour.cases.forms import (
    CloseCaseForm,
    DictionaryForm,
    ScreeningForm,
    SearchForm,
    fields_of,
)
from harbour.cases.immigration import chart
from harbour.cases.immigration import views as immigration_views
from harbour.cases.models import Case, CaseStatus, Screening
from harbour.cases.values import read_values, sealed_shown
from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import set_choices, show_errors, uuid_or_none
from harbour.standard import delphi
from harbour.standard.dictionary import current

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _choices(user: User) -> dict[str, list[tuple[str, str]]]:
    staff = User.objects.filter(org_id=user.org_id, is_active=True).order_by("full_name")
    return {
        "staff": [(str(u.pk), u.full_name) for u in staff if can(u, Perm.CASE_EDIT)],
        "organisation": [(str(o.pk), o.name) for o in actions.organisation_choices()],
    }


# --- list and search --------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    cases = policy.cases_for(user)
    if not can(user, Perm.CASE_VIEW):
        raise NotFound()
    status = request.GET.get("status", "")
    status = status if status in CaseStatus.values else ""
    mine = request.GET.get("mine") == "1"
    filtered = queries.filter_cases(cases, status=status, owner_id=user.pk if mine else None)
    # The list shows a few columns: never drag sealed payloads or password hashes along, and
    # read them as tuples (model instances were half of the rows' time, issue 9).
    filtered = queries.list_columns(filtered)
    counts = queries.case_counts(cases)
    paginator = Paginator(filtered, PAGE_SIZE)
    if not mine:  # the cards' counts already say how many cases the list holds: no COUNT(*)
        paginator.count = sum(counts.values()) if not status else counts.get(status, 0)
    page = paginator.get_page(request.GET.get("page"))
    exploitation = current().entity("case").field("exploitation_types")
    statuses = [(value, str(label)) for value, label in CaseStatus.choices]
    context = {
        "page": page,
        "rows": presentation.list_rows(page, dict(statuses), exploitation.codelist),
        "status": status,
        "mine": mine,
        "statuses": statuses,
        "counts": counts,
        "drafts": policy.drafts_for(user),
        "search_form": SearchForm(),
        "exploitation": exploitation,
    }
    return render(request, "cases/list.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Perm.CASE_VIEW):
        raise NotFound()
    form = SearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        results = list(
            queries.find_survivors(
                policy.survivors_for(user),
                user.org_id,
                name=data["name"],
                birth_date=data["birth_date"],
                reference=data["reference"],
            ).prefetch_related("cases")[:50]
        )
    return render(request, "cases/search.html", {"form": form, "results": results})


# --- intake -----------------------------------------------------------------------------------


def _intake_parts() -> list[tuple[Any, list[Any]]]:
    survivor, case = current().entity("survivor"), current().entity("case")
    skip = set(actions.PROTECTED_CASE_FIELDS)
    return [
        (survivor, fields_of(survivor)),
        (case, [f for f in fields_of(case) if f.id not in skip]),
    ]


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Perm.CASE_CREATE):
        raise NotFound()
    draft = policy.draft_for(user, request.GET["draft"]) if "draft" in request.GET else None
    survivor = (
        policy.survivor_for(user, request.GET["survivor"]) if "survivor" in request.GET else None
    )
    parts = _intake_parts()
    if survivor is not None:
        parts = parts[1:]  # a returning survivor: only the new episode is asked for
    data = request.POST or (MultiValueDict(actions.draft_data(draft)) if draft else None)
    form = DictionaryForm(data, parts=parts, choices=_choices(user))
    if data is None:
        form.initial.update(_intake_defaults(user))
    if request.method == "POST":
        if "save_draft" in request.POST:
            return _save_draft(request, user, draft, survivor)
        if form.is_valid():
            return _submit_intake(request, user, form, draft, survivor)
    context = {
        "form": form,
        "core": _essentials(form),
        "sections": _non_core_sections(form),
        "submission_key": request.POST.get("submission_key") or uuid.uuid4().hex,
        "draft": draft,
        "survivor": survivor,
    }
    return render(request, "cases/intake.html", context)


def _intake_defaults(user: User) -> dict[str, str]:
    """What a new intake most often says: today, in the organisation's province."""
    return {
        "case__intake_date": timezone.localdate().isoformat(),
        "case__intake_province": user.org.province if user.org_id else "",
    }


def _essentials(form: DictionaryForm) -> list[Any]:
    """The quick first step: the required fields first, then the other core fields."""
    core = [b for b in form if b.field.dictionary_field.core]  # type: ignore[attr-defined]
    return sorted(core, key=lambda b: not b.field.dictionary_field.required)


def _non_core_sections(form: DictionaryForm) -> list[dict[str, Any]]:
    sections = []
    for section in form.sections():
        rest = [b for b in section["fields"] if not b.field.dictionary_field.core]
        if rest:
            sections.append(section | {"fields": rest, "has_errors": any(b.errors for b in rest)})
    return sections


def _save_draft(request: HttpRequest, user: User, draft: Any, survivor: Any) -> HttpResponse:
    data = {k: request.POST.getlist(k) for k in request.POST if "__" in k}
    saved = actions.save_draft(by=user, data=data, draft=draft, survivor=survivor)
    messages.success(request, _("Draft saved. You can finish it later from the case list."))
    return redirect(f"{request.path}?draft={saved.pk}")


def _returning_hint(request: HttpRequest, user: User, case: Any, survivor: Any) -> None:
    """A survivor new to this organisation may be known elsewhere: say so, and where and when
    only if they consented at the organisation that served them (record linkage, ADR 41). A
    probe like the API's: audited and limited; over the limit, say that instead."""
    from harbour.linkage import hints as linkage

    if survivor is not None:
        return
    found = linkage.returning_hint_for(by=user, survivor=case.survivor)
    if found is not None and found.answer in {linkage.Answer.KNOWN, linkage.Answer.LIMITED}:
        messages.warning(request, found.message())
    elif found is not None and found.answer == linkage.Answer.LEFT:
        messages.info(request, found.message())


def _submit_intake(
    request: HttpRequest, user: User, form: DictionaryForm, draft: Any, survivor: Any
) -> HttpResponse:
    try:
        case, created = actions.start_intake(
            by=user,
            survivor_values=form.cleaned_by_entity.get("survivor", {}),
            case_values=form.cleaned_by_entity["case"],
            submission_key=request.POST.get("submission_key", "")[:80] or None,
            survivor=survivor,
        )
    except DomainError as exc:
        if hasattr(exc, "errors"):
            for field_id, msgs in exc.errors.items():
                entity = "case" if f"case__{field_id}" in form.fields else "survivor"
                for message in msgs:
                    name = f"{entity}__{field_id}"
                    form.add_error(name if name in form.fields else None, str(message))
        else:
            form.add_error(None, str(exc.message))
        context = {
            "form": form,
            "core": _essentials(form),
            "sections": _non_core_sections(form),
            "submission_key": request.POST.get("submission_key"),
            "draft": draft,
            "survivor": survivor,
        }
        return render(request, "cases/intake.html", context, status=422)
    if draft is not None:
        actions.discard_draft(by=user, draft=draft)
    if created:
        messages.success(
            request, _("The case has been recorded. Next: screen with the indicators.")
        )
        _returning_hint(request, user, case, survivor)
    else:
        messages.info(request, _("This intake had already been saved; here is the case."))
    return redirect("cases:detail", case_id=case.pk)


@login_required
@require_POST
def discard_draft(request: HttpRequest, draft_id: str) -> HttpResponse:
    user = _user(request)
    actions.discard_draft(by=user, draft=policy.draft_for(user, draft_id))
    messages.success(request, _("The draft has been discarded."))
    return redirect("cases:list")


# --- one case ---------------------------------------------------------------------------------


@login_required
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id)
    identity = policy.may_see_identity(user, case.survivor)
    survivor_values = read_values(case.survivor, with_identity=identity)
    case_values = read_values(case, with_identity=identity)
    timeline = queries.timeline(case, with_identity=identity)
    if identity:
        _audit_case_view(user, case, survivor_values, case_values, timeline)
    recorders = [i.record.created_by_id for i in timeline]
    names, recorded_by = _names(case_values, staff=recorders)
    links = presentation.CaseLinks(case)
    may_edit = can(user, Perm.CASE_EDIT)
    rows = [presentation.timeline_row(item, names, links, recorded_by) for item in timeline]
    context = {
        "case": case,
        "survivor_sections": presentation.sections_html(
            links.sections("survivor", survivor_values, names), may_edit=may_edit
        ),
        "case_sections": presentation.sections_html(
            links.sections("case", case_values, names), may_edit=may_edit
        ),
        "display_name": _display_name(survivor_values) if identity else "",
        "timeline": presentation.timeline_html(rows, may_edit=may_edit),
        "transitions": [t for t in states.available(case.status) if can(user, t.perm)],
        "close_form": CloseCaseForm(),
        "other_cases": queries.other_episodes(case),
        "record_kinds": links.with_url(_record_kinds(), "record_new"),
        "staff": _choices(user)["staff"] if can(user, Perm.CASE_REASSIGN) else [],
        "may_edit": may_edit,
        "urls": links.page(),
        "sets": links.with_url(
            [{"id": s.id, "title": s.title} for s in delphi.load_catalogue().sets], "screening_new"
        ),
        "referrals": _referrals_of(case),
        "immigration": _immigration(case, names),
    }
    return render(request, "cases/detail.html", context)


def _immigration(case: Case, names: dict[str, str]) -> dict[str, Any]:
    """The survivor's immigration timeline (all their cases here), without identifying values:
    the status computed from it, the drawing, and the numbered steps in words."""
    records = {r.pk: r for r in queries.immigration_record_list(case.survivor)}
    steps = queries.immigration_steps(records.values())
    today = timezone.localdate()
    found = chart.track(steps, today)
    entity = current().entity("immigration_step")
    rows = []
    for mark in found.marks if found else []:
        record = records[mark.step.key]
        values = read_values(record, with_identity=False)
        groups = presentation.grouped(entity, values, names)
        shown = [r for g in groups for r in g["rows"] if r["value"]]
        shown = [r for r in shown if r["field"].id not in {"step", "step_date"}]
        label = current().codelists["immigration_step_type"].label_of(mark.step.step)
        rows.append({"mark": mark, "record": record, "label": label, "rows": shown})
    return {
        "standing": immigration_views.standing_labels(steps, today),
        "track": found,
        "steps": rows,
    }


def _referrals_of(case: Case) -> list[dict[str, Any]]:
    """Each referral of the case as its page shows it: kind, receiving organisation, status."""
    found = queries.referrals_of(case)
    _people, organisations = queries.names_of([], [r.receiving_org_id for r in found])
    return [
        {
            "pk": r.pk,
            "kind": r.get_kind_display(),
            "org": organisations.get(str(r.receiving_org_id), ""),
            "status": r.get_status_display(),
        }
        for r in found
    ]


def _audit_case_view(
    user: User,
    case: Case,
    survivor_values: dict[str, Any],
    case_values: dict[str, Any],
    timeline: list[queries.TimelineItem],
) -> None:
    """The case page shows identifying values: the survivor's, and free text in the case and
    its records. Each read is recorded, field by field, without the values."""
    in_case = sealed_shown("case", case_values)
    for item in timeline:
        if item.kind != "intake":
            in_case += sealed_shown(item.kind, item.values, prefix=f"{item.kind}.")
    actions.record_identity_reads(
        by=user,
        reads=[
            (case.survivor, sealed_shown("survivor", survivor_values)),
            (case, sorted(set(in_case))),
        ],
        purpose="case_view",
    )


def _display_name(values: dict[str, Any]) -> str:
    preferred = values.get("preferred_name")
    full = " ".join(v for v in (values.get("given_name"), values.get("family_name")) if v)
    return preferred or full


def _names(
    values: dict[str, Any], *, staff: list[Any] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """The names of the staff and organisations the values name by id (shown for the values
    of those types), and apart, the names of `staff` (who recorded the timeline's entries):
    one query for both, none when there is no id to look up."""
    ids = [v for v in values.values() if isinstance(v, uuid.UUID)]
    wanted = {str(i) for i in staff or [] if i}
    people, organisations = queries.names_of(ids + sorted(wanted), ids)
    shown = {str(v) for v in ids}
    names = {pk: name for pk, name in people.items() if pk in shown} | organisations
    return names, {pk: name for pk, name in people.items() if pk in wanted}


def _record_kinds() -> list[dict[str, Any]]:
    return [{"id": kind, "label": current().entity(kind).label} for kind in queries.RECORD_MODELS]


@login_required
def edit_section(request: HttpRequest, case_id: str, entity_id: str, group_id: str) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id, Perm.CASE_EDIT)
    if entity_id not in {"survivor", "case"}:
        raise NotFound()
    entity = current().entity(entity_id)
    skip = set(actions.PROTECTED_CASE_FIELDS)
    fields = [
        f
        for f in fields_of(entity, group=None if group_id == "other" else group_id)
        if f.id not in skip
    ]
    if not fields:
        raise NotFound()
    record = case.survivor if entity_id == "survivor" else case
    identity = policy.may_see_identity(user, case.survivor)
    if not identity:
        fields = [f for f in fields if not f.is_sealed]
    existing = read_values(record, with_identity=identity)
    if request.method == "GET":
        shown = sealed_shown(entity_id, {f.id: existing.get(f.id) for f in fields})
        actions.record_identity_read(by=user, record=record, fields=shown, purpose="edit")
    form = DictionaryForm(
        request.POST or None,
        parts=[(entity, fields)],
        existing={entity_id: existing},
        choices=_choices(user),
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_by_entity[entity_id]
        try:
            if entity_id == "survivor":
                actions.update_survivor(by=user, survivor=case.survivor, values=values)
            else:
                actions.update_case(by=user, case=case, values=values)
        except DomainError as exc:
            _show(form, entity_id, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request, "cases/section_form.html", {"form": form, "case": case, "entity": entity}
    )


def _show(form: DictionaryForm, entity_id: str, exc: DomainError) -> None:
    from harbour.core.errors import InvalidInput

    if isinstance(exc, InvalidInput):
        form.add_invalid(entity_id, exc)
    else:
        show_errors(form, exc)


@login_required
def record_form(
    request: HttpRequest, case_id: str, kind: str, record_id: str | None = None
) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id, Perm.CASE_EDIT)
    model = queries.RECORD_MODELS.get(kind)
    if model is None:
        raise NotFound()
    entity = current().entity(kind)
    record = policy.record_for(user, model, case, record_id) if record_id else None
    existing = {kind: read_values(record, with_identity=True)} if record else {}
    if record is not None and request.method == "GET":
        actions.record_identity_read(
            by=user,
            record=record,
            purpose="edit",
            fields=sealed_shown(kind, existing[kind]),
        )
    form = DictionaryForm(
        request.POST or None,
        parts=[(entity, fields_of(entity))],
        existing=existing,
        choices=_choices(user),
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_by_entity[kind]
        try:
            if record is None:
                actions.add_record(by=user, case=case, model=model, values=values)
            else:
                actions.update_record(by=user, record=record, values=values)
        except DomainError as exc:
            _show(form, kind, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:detail", case_id=case.pk)
    context = {"form": form, "case": case, "entity": entity, "record": record}
    return render(request, "cases/record_form.html", context)


@login_required
@require_POST
def change_status(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id)
    form = CloseCaseForm(request.POST)
    form.is_valid()
    try:
        actions.change_status(
            by=user,
            case=case,
            transition=request.POST.get("transition", ""),
            closure_reason=form.cleaned_data.get("closure_reason"),
            closure_details=form.cleaned_data.get("closure_details"),
            reason=request.POST.get("reason", "")[:2000],
        )
    except DomainError as exc:
        for message in getattr(exc, "errors", {}).values() or [[exc.message]]:
            for m in message:
                messages.error(request, str(m))
    else:
        messages.success(request, _("The case status has been changed."))
    return redirect("cases:detail", case_id=case.pk)


@login_required
@require_POST
def reassign(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id, Perm.CASE_REASSIGN)
    owner_id = uuid_or_none(request.POST.get("owner"))
    owner = User.objects.filter(pk=owner_id, org_id=user.org_id).first() if owner_id else None
    if owner is None:
        messages.error(request, _("Choose a caseworker of this organisation."))
    else:
        try:
            actions.reassign(by=user, case=case, owner=owner)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The case has been reassigned."))
    return redirect("cases:detail", case_id=case.pk)


# --- screening --------------------------------------------------------------------------------


@login_required
def screening_new(request: HttpRequest, case_id: str, set_id: str) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id, Perm.CASE_EDIT)
    catalogue = delphi.load_catalogue()
    try:
        indicator_set = catalogue.get_set(set_id)
    except (KeyError, ValueError):
        raise NotFound() from None
    form = ScreeningForm(request.POST or None)
    set_choices(form, "indicators", [(i.id, i.id) for i in indicator_set.indicators()])
    if request.method == "POST" and form.is_valid():
        try:
            screening = actions.screen(
                by=user,
                case=case,
                indicator_set=set_id,
                indicators=form.cleaned_data["indicators"],
                screened_on=form.cleaned_data["screened_on"] or None,
                details=form.cleaned_data["details"] or None,
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            return redirect("cases:screening", case_id=case.pk, screening_id=screening.pk)
    selected = set(form["indicators"].value() or [])
    context = {"case": case, "set": indicator_set, "form": form, "selected": selected}
    return render(request, "cases/screening_form.html", context)


@login_required
def screening_detail(request: HttpRequest, case_id: str, screening_id: str) -> HttpResponse:
    user = _user(request)
    case = policy.case_for(user, case_id)
    screening: Screening = policy.record_for(user, Screening, case, screening_id)
    assessment = delphi.Assessment.from_dict(screening.result)
    indicator_set = delphi.load_catalogue().get_set(assessment.set_id)
    context = {
        "case": case,
        "screening": screening,
        "assessment": assessment,
        "set": indicator_set,
        "dimensions": [
            {
                "dimension": indicator_set.dimension(r.dimension_id),
                "result": r,
                "fired": [indicator_set.indicator(i) for i in r.fired_indicator_ids],
            }
            for r in assessment.dimensions
        ],
    }
    return render(request, "cases/screening_detail.html", context)
