from django import forms
from django.contrib import admin

from cities.models import City
from evaluation.admin.history import HistoryAdmin
from evaluation.inputs import division_code_error


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


@admin.register(City)
class CityAdmin(HistoryAdmin):
    history_key = "city"
    form = CityForm
    list_display = ["code", "name_en", "name_zh", "province"]
    search_fields = ["code", "name_en", "name_zh", "province"]
    ordering = ["code"]
