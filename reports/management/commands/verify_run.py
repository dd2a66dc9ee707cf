"""``manage.py verify_run RUN``: do a stored run's digests and results still follow from its
stored inputs, and does its decision (every sign-off, the totals, the kept documents) still
say what its ledger entries and the rules of sign-off say? ``--ledger`` also walks the whole
ledger (``evaluation.ledger.ledger_check``); without RUN it checks only the ledger. Exit status
0 when everything holds, 1 when something differs (each difference named), 2 when the run
cannot be verified (unknown, not finished, failed)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from evaluation import scoring
from evaluation.ledger import ledger_check
from evaluation.models import EvaluationRun
from reports.verification import RunNotVerifiable, run_verify

DIFFERS, NOT_VERIFIABLE = 1, 2


class Command(BaseCommand):
    help = (
        "Read a run's stored inputs again, score them again under the run's ruleset version "
        "and say whether the input digest and every result still match the stored run."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("run", type=int, nargs="?", help="the run's number (EvaluationRun id)")
        parser.add_argument(
            "--ledger",
            action="store_true",
            help="also walk the whole ledger: its chain, and every protected record against it",
        )
        parser.add_argument(
            "--head",
            metavar="SEQ:DIGEST",
            help="a ledger entry's number and digest recorded earlier, outside the database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run"] is None and not (options["ledger"] or options["head"]):
            raise CommandError(
                gettext("give a run's number, or --ledger"), returncode=NOT_VERIFIABLE
            )
        ledger_holds = True
        if options["ledger"] or options["head"]:
            ledger_holds = self._ledger(options["head"])
        if options["run"] is None:
            if not ledger_holds:
                raise CommandError(gettext("the ledger does not hold"), returncode=DIFFERS)
            return
        try:
            run = EvaluationRun.objects.get(pk=options["run"])
        except EvaluationRun.DoesNotExist:
            raise CommandError(
                gettext("there is no run #%(run)s") % {"run": options["run"]},
                returncode=NOT_VERIFIABLE,
            ) from None
        try:
            verification = run_verify(run=run)
        except RunNotVerifiable as exc:
            raise CommandError(str(exc), returncode=NOT_VERIFIABLE) from None
        except scoring.EvaluationError as exc:
            raise CommandError(
                gettext(
                    "run #%(run)s does not match: its ruleset or programme can no longer be "
                    "scored with: %(reasons)s"
                )
                % {"run": run.pk, "reasons": "; ".join(exc.messages)},
                returncode=DIFFERS,
            ) from None
        run = verification.run
        self.stdout.write(
            gettext(
                "Run #%(run)s: programme %(programme)s, as of %(as_of)s, ruleset %(ruleset)s, "
                "%(kind)s, %(cities)s cities, %(indicators)s indicator results."
            )
            % {
                "run": run.pk,
                "programme": run.programme.code,
                "as_of": run.as_of.isoformat(),
                "ruleset": run.ruleset.label,
                "kind": run.get_kind_display(),
                "cities": verification.cities,
                "indicators": verification.indicators,
            }
        )
        self.stdout.write(
            gettext("Input digest: %(digest)s. Result digest: %(result)s.")
            % {"digest": run.input_digest, "result": run.result_digest}
        )
        if verification.matches:
            self.stdout.write(
                gettext(
                    "Matches: the stored inputs, read and scored again under ruleset "
                    "%(ruleset)s, give the same digests and every stored result; every "
                    "decision, its sign-off and the totals are as the ledger and the rules of "
                    "sign-off say, and every kept document as it was built."
                )
                % {"ruleset": run.ruleset.label}
            )
            if not ledger_holds:
                raise CommandError(gettext("the ledger does not hold"), returncode=DIFFERS)
            return
        for difference in verification.differences:
            self.stdout.write(str(difference))
        count = len(verification.differences)
        raise CommandError(
            ngettext(
                "run #%(run)s does not match its stored inputs: %(count)d difference",
                "run #%(run)s does not match its stored inputs: %(count)d differences",
                count,
            )
            % {"run": run.pk, "count": count},
            returncode=DIFFERS,
        )

    def _ledger(self, head: str | None) -> bool:
        """Walk the ledger and say what it found; whether it holds."""
        recorded = None
        if head:
            seq, _colon, digest = head.partition(":")
            if not seq.isdigit() or len(digest) != 64:
                raise CommandError(
                    gettext("--head takes an entry's number and digest: 1234:9f53…(64 hex)"),
                    returncode=NOT_VERIFIABLE,
                )
            recorded = (int(seq), digest)
        check = ledger_check(head=recorded)
        self.stdout.write(
            gettext("Ledger: %(entries)s entries, head #%(seq)s %(digest)s.")
            % {"entries": check.entries, "seq": check.head_seq, "digest": check.head_digest}
        )
        if check.holds:
            self.stdout.write(
                gettext(
                    "The ledger holds: its chain is unbroken and every report, value, run, "
                    "decision and ruleset is as its last entry says."
                )
            )
            return True
        for finding in check.findings:
            self.stdout.write(str(finding))
        return False
