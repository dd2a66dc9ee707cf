"""The forms of the reviewers' foresight pages: a draft ruleset's rules, a comparison's date,
and a reviewer's answer to a rectification item. They only collect the fields; the services
check them (``evaluation.services.drafts``, ``rectification``) and their refusals are put back
on the fields they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation import vocabulary
from evaluation.exceptions import WorkflowError
from evaluation.models import Ruleset
from evaluation.services.drafts import BandEdit, RuleEdit


def _rule_field(code: str, part: str) -> str:
    return f"rule-{code}-{part}"


def _band_field(grade: str, part: str) -> str:
    return f"band-{grade}-{part}"


class DraftForm(forms.Form):
    """Every rule of a draft on one form: each indicator's kind, floor and weight, each grade's
    lowest score and share released, the rectification threshold and the notes."""

    def __init__(self, *args: Any, draft: Ruleset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.rules = list(draft.rules.select_related("indicator").order_by("indicator__position"))
        self.bands = list(draft.bands.order_by("-min_score"))
        for rule in self.rules:
            code = rule.indicator.code
            self.fields[_rule_field(code, "kind")] = forms.ChoiceField(
                label=_("rule kind"), choices=vocabulary.rule_kind_choices, initial=rule.kind
            )
            self.fields[_rule_field(code, "floor")] = forms.DecimalField(
                label=_("national floor"), max_digits=14, decimal_places=4, initial=rule.floor
            )
            self.fields[_rule_field(code, "weight")] = forms.DecimalField(
                label=_("weight"), max_digits=6, decimal_places=2, initial=rule.weight
            )
        for band in self.bands:
            self.fields[_band_field(band.grade, "min_score")] = forms.DecimalField(
                label=_("lowest score"), max_digits=5, decimal_places=2, initial=band.min_score
            )
            self.fields[_band_field(band.grade, "release_share")] = forms.DecimalField(
                label=_("share released"),
                max_digits=5,
                decimal_places=4,
                initial=band.release_share,
            )
        self.fields["rectification_below"] = forms.ChoiceField(
            label=_("rectification below grade"),
            choices=[("", _("none: no rectification"))]
            + [(b.grade, vocabulary.grade_word(b.grade)) for b in self.bands],
            required=False,
            initial=draft.rectification_below,
        )
        self.fields["rectification_days"] = forms.IntegerField(
            label=_("rectification days"), min_value=1, initial=draft.rectification_days
        )
        self.fields["notes"] = forms.CharField(
            label=_("notes"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            initial=draft.notes,
        )

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Each indicator's name with its three fields (for the template)."""
        return [
            (
                vocabulary.indicator_name(rule.indicator),
                [
                    self[_rule_field(rule.indicator.code, part)]
                    for part in ("kind", "floor", "weight")
                ],
            )
            for rule in self.rules
        ]

    def band_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                vocabulary.grade_word(band.grade),
                [self[_band_field(band.grade, part)] for part in ("min_score", "release_share")],
            )
            for band in self.bands
        ]

    def edits(self) -> dict[str, Any]:
        """The service's arguments from the cleaned fields."""
        data = self.cleaned_data
        return {
            "rules": {
                rule.indicator.code: RuleEdit(
                    kind=data[_rule_field(rule.indicator.code, "kind")],
                    floor=data[_rule_field(rule.indicator.code, "floor")],
                    weight=data[_rule_field(rule.indicator.code, "weight")],
                )
                for rule in self.rules
            },
            "bands": {
                band.grade: BandEdit(
                    min_score=data[_band_field(band.grade, "min_score")],
                    release_share=data[_band_field(band.grade, "release_share")],
                )
                for band in self.bands
            },
            "rectification_below": data["rectification_below"],
            "rectification_days": data["rectification_days"],
            "notes": data["notes"],
        }

    def add_refusal(self, error: WorkflowError) -> None:
        """Put each refused field of the service back on its form field (or the form)."""
        for item in error.errors:
            parts = (item.field or "").split(".")
            name = None
            if len(parts) == 3 and parts[0] == "rules":
                name = _rule_field(parts[1], parts[2])
            elif len(parts) == 3 and parts[0] == "bands":
                name = _band_field(parts[1], parts[2])
            elif item.field in self.fields:
                name = item.field
            self.add_error(name if name in self.fields else None, str(item.reason))


class CompareForm(forms.Form):
    as_of = forms.DateField(label=_("as of"))


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("reviewer's comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
