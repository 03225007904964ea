"""Invariant 3: every model field declares its sensitivity."""

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from harbour.core.checks import check_sensitivity_declared, sensitivity_errors
from harbour.core.sensitivity import Sensitivity, declared_sensitivity, unclassified_fields


def test_every_harbour_model_field_declares_its_sensitivity() -> None:
    harbour_models = [m for m in apps.get_models() if m.__module__.startswith("harbour.")]
    assert len(harbour_models) > 10
    missing = {m._meta.label: unclassified_fields(m) for m in harbour_models}
    assert {k: v for k, v in missing.items() if v} == {}


def test_declarations_name_real_fields_only() -> None:
    """A stale entry (a renamed field) would hide the new name from the check."""
    for model in apps.get_models():
        if not model.__module__.startswith("harbour."):
            continue
        names = {f.name for f in model._meta.concrete_fields}
        assert set(declared_sensitivity(model)) <= names, model._meta.label


@isolate_apps("harbour.core")
def test_the_system_check_reports_an_unclassified_field() -> None:
    class Leaky(models.Model):
        name = models.CharField(max_length=10)
        sensitivity = {"id": Sensitivity.NONE}

        class Meta:
            app_label = "core"

    Leaky.__module__ = "harbour.core.tests.fake"
    errors = sensitivity_errors([Leaky])
    assert [e.id for e in errors] == ["harbour.E001"]
    assert "Leaky.name" in errors[0].msg


def test_the_system_check_passes_for_the_project() -> None:
    assert check_sensitivity_declared() == []
