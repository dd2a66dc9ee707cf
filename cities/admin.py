import re

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from cities.models import City


class CityForm(forms.ModelForm):
    class Meta:
        model = City
        fields = ["code", "name_en", "name_zh", "province"]

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(
                gettext("%(code)r is not a 6-digit administrative division code") % {"code": code}
            )
        return code


@admin.register(City)
class CityAdmin(SimpleHistoryAdmin):
    form = CityForm
    list_display = ["code", "name_en", "name_zh", "province"]
    search_fields = ["code", "name_en", "name_zh", "province"]
    ordering = ["code"]
