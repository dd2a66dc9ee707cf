"""The cities: their division codes and names, checked by the same rule as the cities file."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from evaluation.admin.history import HistoryAdmin
from evaluation.inputs import division_code_error, name_error
from evaluation.models import City


class CityForm(forms.ModelForm):
    class Meta:
        model = City
        fields = ["code", "name_en", "name_zh", "province"]

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        why = division_code_error(code)
        if why is not None:
            raise forms.ValidationError(why)
        return code

    def clean(self) -> dict[str, object]:
        """The names' rules of the cities file (``inputs.name_error``)."""
        data = super().clean() or {}
        for field in ("name_en", "name_zh", "province"):
            text = data.get(field)
            if text and (why := name_error(str(text))) is not None:
                self.add_error(field, why)
        return data


@admin.register(City)
class CityAdmin(HistoryAdmin):
    history_key = "city"
    form = CityForm
    list_display = ["code", "name_en", "name_zh", "province"]
    search_fields = ["code", "name_en", "name_zh", "province"]
    ordering = ["code"]
