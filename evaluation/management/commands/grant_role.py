from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.exceptions import Forbidden, WorkflowError
from evaluation.models import RoleChange
from evaluation.selectors import ROLES
from evaluation.services.people import province_bind, role_grant, role_revoke


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """In the active language (a class attribute would be translated at import)."""
        return _(
            "Give a user a ministry role (reviewer or administrator), an expert's or a "
            "provincial reviewer's (province, with --province), or take it away with "
            "--revoke; recorded with the acting user (--by)."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help=_("the administrator the grant is recorded under (default: the system)"),
        )
        parser.add_argument("--revoke", action="store_true", help=_("take the role away"))
        parser.add_argument(
            "--province",
            metavar="CODE",
            help=_(
                "for the role province: the province reviewed, as the first two digits of its "
                "cities' division codes (34: Anhui)"
            ),
        )

    def _user(self, username: str, option: str = "") -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            hint = "" if option else _(" (create it first: manage.py create_user %s)") % username
            raise CommandError(
                _("%(option)sno user named %(name)r%(hint)s")
                % {"option": option, "name": username, "hint": hint}
            ) from None

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["username"])
        by = self._user(options["by"], "--by: ") if options["by"] else None
        service = role_revoke if options["revoke"] else role_grant
        province = options["province"]
        granting_province = options["role"] == RoleChange.Role.PROVINCE and not options["revoke"]
        if granting_province and not province:
            raise CommandError(_("--province: say which province the reviewer reviews for"))
        try:
            if granting_province:
                was = user.groups.filter(name=ROLES[RoleChange.Role.PROVINCE]).exists()
                province_bind(user=user, province=province, by=by)
                changed = not was
            else:
                changed = service(user=user, role=options["role"], by=by)
        except Forbidden as exc:
            raise CommandError(_("--by %(name)s: %(why)s") % {"name": by, "why": exc}) from None
        except WorkflowError as exc:
            raise CommandError("; ".join(f"--{e.field}: {e.reason}" for e in exc.errors)) from None
        role = options["role"]
        if options["revoke"]:
            message = (
                _("%(user)s is no longer a ministry %(role)s.")
                if changed
                else _("%(user)s was not a ministry %(role)s.")
            )
        else:
            message = (
                _("%(user)s is now a ministry %(role)s.")
                if changed
                else _("%(user)s is already a ministry %(role)s.")
            )
        label = RoleChange.Role(role).label
        self.stdout.write(message % {"user": user.username, "role": label})
