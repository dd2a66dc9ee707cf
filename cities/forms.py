"""The portal's forms. The value rules are the files' and the API's own (``parse_number``):
non-negative, whole numbers for counts, at most 2 decimals for amounts."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cities.selectors import EntryRow
from evaluation.inputs import parse_number


def check_value(text: str, *, places: int) -> Decimal | None:
    """The typed text as a value (None when left empty); ``ValueError`` says what is wrong."""
    text = text.strip()
    if text == "":
        return None
    return parse_number(text, places=places)


class PeriodForm(forms.Form):
    """One field per indicator of the ruleset, and the report's version it was based on."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, rows: Sequence[EntryRow], editable: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[row.code] = forms.CharField(
                label=row.name,
                required=False,
                disabled=not editable,
                initial="" if row.value is None else f"{row.value:.{row.places}f}",
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric" if row.places == 0 else "decimal",
                        "autocomplete": "off",
                        "class": "value",
                    }
                ),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for row in self.rows:
            text = self.data.get(row.code, "") if self.is_bound else ""
            try:
                check_value(str(text), places=row.places)
            except ValueError as exc:
                self.add_error(row.code, str(exc))
        return cleaned

    def typed_values(self) -> dict[str, str]:
        """What the official typed, indicator by indicator (empty fields left out)."""
        return {
            row.code: str(self.data.get(row.code, "")).strip()
            for row in self.rows
            if str(self.data.get(row.code, "")).strip() != ""
        }


class UploadForm(forms.Form):
    # An empty file is the import's to refuse, saying so like every other bad file.
    file = forms.FileField(
        allow_empty_file=True,
        label=_("Excel workbook (.xlsx) or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
