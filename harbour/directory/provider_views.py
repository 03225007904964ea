"""Provider self-service: a provider's staff keep their entries and "beds available today"
current in seconds; system admins import HSDS data. Every change is an audited action."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.accounts.policy import Perm, can
from harbour.core.errors import DomainError
from harbour.core.forms import set_choices, show_errors
from harbour.directory import actions, imports, policy, queries, regions
from harbour.directory.forms import ClosureForm, ImportForm, LocationForm, ServiceForm, VacancyForm
from harbour.directory.models import Attribute, Closure, HiddenRegion, Language, Phone, ServiceArea
from harbour.orgs.models import Organisation
from harbour.web.redirects import next_or


def _require_manager(request: HttpRequest) -> Any:
    user = request.user
    if not (can(user, Perm.DIRECTORY_MANAGE) or can(user, Perm.DIRECTORY_MANAGE_ALL)):
        raise Http404()
    return user


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    user = _require_manager(request)
    services = policy.manageable_services(user).select_related("provider").order_by("name")
    # Not through a form, so the NUL character a form would refuse is dropped here (PostgreSQL
    # text cannot hold it: it was a 500).
    q = request.GET.get("q", "").replace("\x00", "").strip()[:120]
    if q:
        services = services.filter(name__icontains=q)
    page = Paginator(services, 25).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        {
            "service": s,
            "stale": queries.stale(s, today),
            "form": VacancyForm(
                initial={"available": s.capacity_available, "waitlist": s.waitlist},
                prefix=str(s.pk),
            ),
        }
        for s in page
    ]
    return render(
        request,
        "directory/manage.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "may_import": policy.may_manage_all(user),
        },
    )


@login_required
@require_POST
def vacancy(request: HttpRequest, service_id: Any) -> HttpResponse:
    """Beds available today: one number, one click."""
    user = _require_manager(request)
    service = policy.manageable_service(user, service_id)
    form = VacancyForm(request.POST, prefix=str(service.pk))
    if form.is_valid():
        try:
            actions.update_vacancy(
                by=user,
                service=service,
                available=form.cleaned_data["available"],
                waitlist=form.cleaned_data["waitlist"],
            )
            messages.success(request, _("Vacancy updated for %(name)s.") % {"name": service.name})
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Enter zero or more places available."))
    return redirect(next_or(request, request.POST.get("next", ""), "directory:manage"))


@login_required
@require_POST
def verify(request: HttpRequest, service_id: Any) -> HttpResponse:
    user = _require_manager(request)
    service = policy.manageable_service(user, service_id)
    actions.verify_service(by=user, service=service)
    messages.success(request, _("Marked as verified today: %(name)s.") % {"name": service.name})
    return redirect("directory:manage")


def _current_links(service: Any) -> tuple[list[str], list[str], list[str], str]:
    terms = list(
        Attribute.objects.filter(
            link_entity="service", link_id=service.pk, term__isnull=False
        ).values_list("term__code", flat=True)
    )
    languages = list(Language.objects.filter(service=service).values_list("code", flat=True))
    areas = list(ServiceArea.objects.filter(service=service).values_list("name", flat=True))
    phone = Phone.objects.filter(service=service, type="intake").first()
    return terms, languages, areas, phone.number if phone else ""


@login_required
def service_edit(request: HttpRequest, service_id: Any = None) -> HttpResponse:
    user = _require_manager(request)
    service = policy.manageable_service(user, service_id) if service_id else None
    initial = ServiceForm.initial_for(service, *_current_links(service)) if service else None
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        links = {k: form.cleaned_data[k] for k in ("terms", "languages", "areas", "phone")}
        try:
            if service is None:
                service = actions.create_service(
                    by=user, provider=_provider_for(user), values=form.values(), **links
                )
            else:
                actions.update_service(by=user, service=service, values=form.values(), **links)
            messages.success(request, _("Saved."))
            return redirect("directory:service_edit", service_id=service.pk)
        except DomainError as exc:
            show_errors(form, exc)
    context = {
        "form": form,
        "service": service,
        "closure_form": ClosureForm(),
        "locations": service.at_locations.select_related("location") if service else [],
        "closures": Closure.objects.filter(service=service) if service else [],
    }
    return render(request, "directory/service_form.html", context)


def _provider_for(user: Any) -> Any:
    """A provider's own directory organisation entry, created on first use."""
    from harbour.directory.models import Provider

    found = Provider.objects.filter(org_id=user.org_id).order_by("created_at").first()
    if found is not None:
        return found
    org = Organisation.objects.get(pk=user.org_id)
    return actions.create_provider(by=user, name=org.name_en, org=org, alternate_name=org.name_fr)


@login_required
def location_edit(request: HttpRequest, service_id: Any, location_id: Any = None) -> HttpResponse:
    user = _require_manager(request)
    service = policy.manageable_service(user, service_id)
    location = policy.manageable_location(user, location_id) if location_id else None
    if location is not None and not policy.may_see_address(policy.audience_of(user), location):
        raise Http404()  # a hidden address of another organisation: not even a system admin
    form = LocationForm(request.POST or None, initial=_location_initial(user, location))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        values = {
            k: d[k]
            for k in (
                "name",
                "location_type",
                "confidentiality",
                "transportation",
                "latitude",
                "longitude",
                "region_km",
            )
        }
        address = {k: d[k] for k in ("address_1", "city", "state_province", "postal_code")}
        try:
            actions.save_location(
                by=user, service=service, values=values, address=address, location=location
            )
            messages.success(request, _("Location saved."))
            return redirect("directory:service_edit", service_id=service.pk)
        except DomainError as exc:
            show_errors(form, exc)
    return render(
        request,
        "directory/location_form.html",
        {"form": form, "service": service, "location": location},
    )


def _location_initial(user: Any, location: Any) -> dict[str, Any] | None:
    if location is None:
        return None
    place = policy.shown_place(policy.audience_of(user), location)
    address = place.addresses[0] if place and place.addresses else {}
    return {
        "name": location.name,
        "location_type": location.location_type,
        "confidentiality": location.confidentiality,
        "transportation": location.transportation,
        "region_km": _region_km(location),
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
        **{k: address.get(k, "") for k in ("address_1", "city", "state_province", "postal_code")},
    }


def _region_km(location: Any) -> int:
    found = HiddenRegion.objects.filter(location=location).values_list("km", flat=True).first()
    return found or regions.DEFAULT_REACH_KM


@login_required
@require_POST
def closure_add(request: HttpRequest, service_id: Any) -> HttpResponse:
    user = _require_manager(request)
    service = policy.manageable_service(user, service_id)
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            actions.add_closure(by=user, service=service, **form.cleaned_data)
            messages.success(request, _("Closure added."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Enter the first and last day of the closure."))
    return redirect("directory:service_edit", service_id=service.pk)


@login_required
@require_POST
def closure_remove(request: HttpRequest, service_id: Any, closure_id: Any) -> HttpResponse:
    user = _require_manager(request)
    service = policy.manageable_service(user, service_id)
    closure = Closure.objects.filter(service=service, pk=closure_id).first()
    if closure is None:
        raise Http404()
    actions.remove_closure(by=user, closure=closure)
    messages.success(request, _("Closure removed."))
    return redirect("directory:service_edit", service_id=service.pk)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not policy.may_manage_all(user):
        raise Http404()
    form = ImportForm(request.POST or None, request.FILES or None)
    orgs = Organisation.objects.filter(is_active=True)
    set_choices(
        form, "org", [("", _("None (platform-managed)")), *((str(o.pk), o.name) for o in orgs)]
    )
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            report = imports.ImportReport(
                ok=False,
                problems=[
                    (
                        "file",
                        _("The file is larger than %(mb)d MB.")
                        % {"mb": imports.MAX_BYTES // 1048576},
                    )
                ],
            )
        else:
            chosen = form.cleaned_data["org"]
            org = Organisation.objects.filter(pk=chosen).first() if chosen else None
            report = imports.import_file(
                by=user,
                data=upload.read(),
                filename=upload.name,
                org=org,
                dry_run=form.cleaned_data["dry_run"],
            )
    return render(request, "directory/import.html", {"form": form, "report": report})
