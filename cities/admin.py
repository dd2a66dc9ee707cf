from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cities.models import City


@admin.register(City)
class CityAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "name_zh", "province"]
    search_fields = ["code", "name_en", "name_zh", "province"]
    ordering = ["code"]
