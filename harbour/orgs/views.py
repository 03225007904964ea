from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors
from harbour.orgs import actions
from harbour.orgs.forms import OrganisationForm
from harbour.orgs.models import Organisation


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Perm.ORGS_MANAGE):
        raise NotFound()
    return user


@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    orgs = Organisation.objects.order_by("province", "name_en")
    return render(request, "orgs/list.html", {"orgs": orgs})


@login_required
def org_form(request: HttpRequest, org_id: str | None = None) -> HttpResponse:
    user = _admin(request)
    org = Organisation.objects.filter(pk=org_id).first() if org_id else None
    if org_id and org is None:
        raise NotFound()
    initial = {f: getattr(org, f) for f in OrganisationForm.base_fields} if org else {}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if org is None:
                actions.create_organisation(by=user, **form.cleaned_data)
            else:
                actions.update_organisation(by=user, org=org, **form.cleaned_data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:list")
    return render(request, "orgs/form.html", {"form": form, "org": org})
