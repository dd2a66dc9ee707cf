"""User accounts with their ministry roles. A role is given or taken through the same service
as ``grant_role`` (``services.people.roles_set``), so every change is recorded with the
administrator who made it; the raw group list is shown read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from evaluation.access import is_administrator
from evaluation.admin.common import _user
from evaluation.models import RoleChange
from evaluation.selectors import roles_of
from evaluation.services.people import roles_set


class PersonChangeForm(UserChangeForm):
    roles = forms.MultipleChoiceField(
        label=_("Ministry roles"),
        choices=RoleChange.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each change is recorded with who made it (Role changes)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["roles"].initial = sorted(roles_of(self.instance))


class RoleChangeInline(admin.TabularInline):
    model = RoleChange
    fk_name = "user"
    fields = ("at", "role", "change", "by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("role changes")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PersonAdmin(UserAdmin):
    form = PersonChangeForm
    inlines = [RoleChangeInline]
    readonly_fields = ["groups", "last_login", "date_joined"]

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """Django's own sections (and their translated titles), with the ministry roles in
        place of the raw groups and permissions."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        out = []
        for title, options in fieldsets:
            fields = list(options["fields"])
            if "groups" in fields:
                fields = [f for f in fields if f not in ("groups", "user_permissions")]
                fields[fields.index("is_active") + 1 : fields.index("is_active") + 1] = [
                    "roles",
                    "groups",
                ]
            out.append((title, {**options, "fields": tuple(fields)}))
        return out

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data:
            roles_set(user=form.instance, roles=form.cleaned_data["roles"], by=_user(request))


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The audit of role grants: read-only, administrators only."""

    list_display = ["at", "user", "role", "change", "by"]
    list_filter = ["role", "change"]
    search_fields = ["user__username", "by__username"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleGroupAdmin(GroupAdmin):
    """The groups are the ministry roles, their permissions set by a migration: shown, never
    edited here. Renaming or emptying one would take a role from everyone at once with no
    record; roles are given and taken per person (``roles_set``, recorded)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(User)
admin.site.register(User, PersonAdmin)
admin.site.unregister(Group)
admin.site.register(Group, RoleGroupAdmin)
