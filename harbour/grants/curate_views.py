"""Forms that change the inventory: national coordinators curate funders, programs and
committees; an organisation's admins keep their own entry and awards. The actions decide."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors
from harbour.grants import actions, policy
from harbour.grants.forms import AwardForm, CommitteeForm, FunderForm, ProfileForm, ProgramForm
from harbour.grants.models import Funder, Program
from harbour.orgs.models import Organisation


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    done: Callable[[Any], str],
) -> HttpResponse:
    """One flow for every form: show it, or hand the values to an action and show its errors."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.cleaned_data)
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(done(record))
    return render(request, "grants/form.html", {"form": form, "title": title})


def _require_curator(request: HttpRequest) -> None:
    if not policy.may_curate(request.user):
        raise NotFound()


def _values(record: Any, names: list[str]) -> dict[str, Any]:
    return {n: getattr(record, n) for n in names}


# --- funders ----------------------------------------------------------------------------------


@login_required
def funder_new(request: HttpRequest) -> HttpResponse:
    _require_curator(request)
    return _funder_page(request, None)


@login_required
def funder_edit(request: HttpRequest, funder_id: str) -> HttpResponse:
    return _funder_page(request, policy.funder_to_curate(request.user, funder_id))


def _funder_page(request: HttpRequest, funder: Funder | None) -> HttpResponse:
    initial = _values(funder, list(FunderForm.base_fields)) if funder else None
    form = FunderForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        form,
        lambda d: actions.save_funder(by=request.user, values_in=d, funder=funder),  # type: ignore[arg-type]
        title=_("Funder"),
        done=lambda f: reverse("grants:funder", args=[f.pk]),
    )


# --- programs ---------------------------------------------------------------------------------


@login_required
def program_new(request: HttpRequest) -> HttpResponse:
    _require_curator(request)
    return _program_page(request, None)


@login_required
def program_edit(request: HttpRequest, program_id: str) -> HttpResponse:
    return _program_page(request, policy.program_to_curate(request.user, program_id))


def _program_page(request: HttpRequest, program: Program | None) -> HttpResponse:
    funders = policy.funders_visible(request.user)
    initial = None
    if program is not None:
        initial = _values(program, [n for n in ProgramForm.base_fields if n != "funder"])
        initial["funder"] = str(program.funder_id)
    form = ProgramForm(request.POST or None, initial=initial, funders=funders)

    def save(d: dict[str, Any]) -> Program:
        funder = policy.funder_for(request.user, d.pop("funder"))
        return actions.save_program(by=request.user, funder=funder, values_in=d, program=program)  # type: ignore[arg-type]

    return _form_page(
        request,
        form,
        save,
        title=_("Funding program"),
        done=lambda p: reverse("grants:program", args=[p.pk]),
    )


# --- awards -----------------------------------------------------------------------------------


@login_required
def award_new(request: HttpRequest) -> HttpResponse:
    if not policy.award_orgs_for(request.user).exists():
        raise NotFound()
    return _award_page(request, None)


@login_required
def award_edit(request: HttpRequest, award_id: str) -> HttpResponse:
    return _award_page(request, policy.award_to_edit(request.user, award_id))


@login_required
@require_POST
def award_delete(request: HttpRequest, award_id: str) -> HttpResponse:
    award = policy.award_to_edit(request.user, award_id)
    actions.delete_award(by=request.user, award=award)  # type: ignore[arg-type]
    messages.success(request, _("The award was removed."))
    return redirect("grants:awards")


def _award_page(request: HttpRequest, award: Any) -> HttpResponse:
    orgs = policy.award_orgs_for(request.user)
    programs = policy.programs_visible(request.user)
    initial = None
    if award is not None:
        names = [n for n in AwardForm.base_fields if n not in {"org", "program"}]
        initial = _values(award, names) | {
            "org": str(award.org_id),
            "program": str(award.program_id),
        }
    form = AwardForm(request.POST or None, initial=initial, orgs=orgs, programs=programs)

    def save(d: dict[str, Any]) -> Any:
        org = orgs.filter(pk=d.pop("org")).first()
        if org is None:
            raise NotFound()
        program = policy.program_for(request.user, d.pop("program"))
        return actions.save_award(
            by=request.user,  # type: ignore[arg-type]
            org=org,
            program=program,
            values_in=d,
            award=award,
        )

    return _form_page(
        request, form, save, title=_("Award"), done=lambda a: reverse("grants:awards")
    )


# --- the organisation's own entry ---------------------------------------------------------------


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    org = policy.profile_org_to_edit(request.user)
    profile = policy.profile_of(org)
    initial = None
    if profile is not None:
        initial = _values(profile, list(ProfileForm.base_fields))
        initial["languages"] = ", ".join(profile.languages)
    form = ProfileForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        form,
        lambda d: actions.save_profile(by=request.user, org=org, values_in=d),  # type: ignore[arg-type]
        title=_("Our entry in the partner network"),
        done=lambda p: reverse("grants:partner", args=[org.pk]),
    )


# --- committees -------------------------------------------------------------------------------


@login_required
def committee_new(request: HttpRequest) -> HttpResponse:
    _require_curator(request)
    return _committee_page(request, None)


@login_required
def committee_edit(request: HttpRequest, committee_id: str) -> HttpResponse:
    return _committee_page(request, policy.committee_to_curate(request.user, committee_id))


def _committee_page(request: HttpRequest, committee: Any) -> HttpResponse:
    orgs = Organisation.objects.filter(is_active=True)
    initial = None
    if committee is not None:
        seats = list(committee.seats.all())
        initial = _values(
            committee, ["code", "name_en", "name_fr", "province", "mandate_en", "mandate_fr"]
        )
        initial["members"] = [str(s.org_id) for s in seats]
        initial["chairs"] = [str(s.org_id) for s in seats if s.is_chair]
    form = CommitteeForm(request.POST or None, initial=initial, orgs=orgs)

    @transaction.atomic
    def save(d: dict[str, Any]) -> Any:
        members = list(orgs.filter(pk__in=d.pop("members")))
        chairs = list(orgs.filter(pk__in=d.pop("chairs")))
        saved = actions.save_committee(by=request.user, values_in=d, committee=committee)  # type: ignore[arg-type]
        actions.set_members(by=request.user, committee=saved, orgs=members, chairs=chairs)  # type: ignore[arg-type]
        return saved

    return _form_page(
        request,
        form,
        save,
        title=_("Committee"),
        done=lambda c: reverse("grants:committee", args=[c.pk]),
    )
