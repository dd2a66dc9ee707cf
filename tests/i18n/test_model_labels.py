"""Every model and field the admin shows has a translatable name: a field Django names after
itself ("baseline year") would stay English on a Chinese page. New fields get their label in
``evaluation/models/labels.py``."""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import override

APPS = ("cities", "evaluation", "reports")


def _models():
    """The project's models and their histories (not the history of a library's model kept
    here, e.g. the API tokens')."""
    return [
        m
        for name in APPS
        for m in apps.get_app_config(name).get_models()
        if getattr(m, "instance_type", m)._meta.app_label in APPS
    ]


def _own_label(field) -> bool:
    """The id ("ID" in every language) and django-simple-history's own columns, which its
    pages head with their own translations."""
    return field.name == "id" or field.name.startswith("history_")


def test_every_model_and_field_is_named_translatably():
    unnamed = [
        f"{model.__name__}.{field.name}"
        for model in _models()
        for field in model._meta.concrete_fields
        if not isinstance(field.verbose_name, Promise) and not _own_label(field)
    ] + [
        f"{model.__name__} (Meta.verbose_name)"
        for model in _models()
        if not isinstance(model._meta.verbose_name, Promise)
    ]

    assert not unnamed, (
        "name these in evaluation/models/labels.py (and translate them): " + ", ".join(unnamed)
    )


def test_the_labels_are_chinese_in_chinese():
    from evaluation.models import Programme, Report

    with override("zh-hans"):
        assert str(Programme._meta.get_field("baseline_year").verbose_name) == "基期年"
        assert str(Report._meta.verbose_name_plural) == "报表"
        assert str(Programme.history.model._meta.verbose_name) == "批次历史记录"
    with override("en"):
        assert str(Programme._meta.get_field("baseline_year").verbose_name) == "baseline year"
