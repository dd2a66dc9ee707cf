"""The lifecycles, each written once as a table: a city's report for a period, and a tranche
decision. A table says the states, the steps between them, who may take each step, what each
needs, and the reason a step is refused; the services, selectors, admin, portal and API ask it,
and nothing else lists states (templates get a flag from a selector).

Adding a state is one ``State`` entry (and the ``Step`` entries that lead to and from it) in its
table, plus its tests; the model's choices come from the table. No database is read here: the
services check who asks and whether the period is closed, then ask :meth:`Lifecycle.refusal`.

A plain table rather than django-fsm-2's transition methods: a refusal must say *why* in the
reader's language (fsm conditions answer yes or no), who may take a step depends on the
person's relation to the city rather than on a Django permission, and a report's values move
with it in bulk (with their history rows), which per-instance transitions do not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Actor(StrEnum):
    """Who takes a step."""

    OFFICIAL = "official"  # an official of the city the report or decision is about
    REVIEWER = "reviewer"  # a ministry reviewer (or administrator)
    # A provincial reviewer (省级复核) of the city's province: only in a programme that uses the
    # provincial review (``Programme.provincial_review``).
    PROVINCE = "province"


@dataclass(frozen=True)
class State:
    """One state of a lifecycle.

    ``label`` names it in a list ("submitted, awaiting review"), ``word`` inside a sentence
    ("it is submitted"). ``stored`` is False for a state no row holds (a period with no report
    yet). ``open_to`` is who may change the thing in this state (a report's values: the city's
    officials in a draft or returned report); ``locked`` says why the others cannot, with
    ``%(period)s`` and ``%(status)s``. ``values`` is the status a report's values take in it.
    ``awaits`` is who must act next, if anyone."""

    code: str
    label: StrOrPromise
    word: StrOrPromise
    stored: bool = True
    open_to: Actor | None = None
    locked: StrOrPromise | None = None
    values: str = ""
    awaits: Actor | None = None
    final: bool = False


@dataclass(frozen=True)
class Step:
    """One step between states: taken by ``actor`` from any of ``sources`` to ``target``
    (None: it stays in its state, as a report being filled in does).

    Taken again once ``done`` (the thing is already in one of those states), it changes
    nothing. ``needs`` names the written text it requires (``comment``, ``reason``), with
    ``needs_missing`` saying what to write. ``open_period``: refused while the period is closed
    by a finalised evaluation. ``refused`` says why it cannot be taken from another state
    (``%(status)s``); a step the city takes is refused with the state's ``locked`` reason
    instead, since the city asks "can I still change it?"."""

    code: str
    label: StrOrPromise
    actor: Actor
    sources: tuple[str, ...]
    target: str | None
    done: tuple[str, ...] = ()
    needs: str | None = None
    needs_missing: StrOrPromise | None = None
    open_period: bool = True
    refused: StrOrPromise | None = None
    provincial: tuple[str, ...] | None = None


# Where a programme uses the provincial review (省级复核), the ministry starts from what the
# province forwarded: a ministry step whose ``provincial`` names fewer sources is refused from
# the others with this; a province's step in a programme without it, with the next.
BEFORE_PROVINCE = _(
    "it is %(status)s: the province reviews it first, and the ministry acts on it once the "
    "province has forwarded it"
)
NO_PROVINCE = _("this programme has no provincial review: the ministry reviews it directly")


@dataclass(frozen=True)
class Refusal:
    """Why a step is refused: ``field`` is the request field at fault (``None``: the thing as a
    whole), ``code`` a machine-readable word, ``reason`` the sentence in the active language;
    ``locked`` tells a conflict with the thing's state (409) from a wrong request (400)."""

    code: str
    field: str | None
    reason: str
    locked: bool


class Lifecycle:
    """States and steps of one kind of thing, looked up by code."""

    def __init__(self, name: str, states: tuple[State, ...], steps: tuple[Step, ...]) -> None:
        self.name = name
        self.states = {state.code: state for state in states}
        self.steps = {step.code: step for step in steps}
        for step in steps:
            unknown = {*step.sources, *step.done, step.target or step.sources[0]} - set(self.states)
            assert not unknown, f"{name} step {step.code} names unknown states {unknown}"

    def state(self, code: str) -> State:
        return self.states[code]

    def step(self, code: str) -> Step:
        return self.steps[code]

    def target_of(self, step: str) -> str:
        """The state ``step`` leads to (a step that moves the thing)."""
        target = self.steps[step].target
        assert target is not None, f"{self.name} step {step} stays where it is"
        return target

    @property
    def absent(self) -> str:
        """The state of a thing no row holds yet (a period no report was opened for): the one
        state that is not stored."""
        (code,) = [code for code, state in self.states.items() if not state.stored]
        return code

    def choices(self) -> list[tuple[str, StrOrPromise]]:
        """The stored states, for the model field."""
        return [(state.code, state.label) for state in self.states.values() if state.stored]

    def sources(self, step: str, *, provincial: bool = False) -> tuple[str, ...]:
        """The states ``step`` may be taken from: in a programme with the provincial review,
        a ministry step's ``provincial`` sources; a province's step only in such a one."""
        chosen = self.steps[step]
        if chosen.actor == Actor.PROVINCE and not provincial:
            return ()
        if provincial and chosen.provincial is not None:
            return chosen.provincial
        return chosen.sources

    def steps_from(self, status: str, actor: Actor, *, provincial: bool = False) -> list[Step]:
        """The steps ``actor`` may take from ``status``, in the table's order."""
        return [
            step
            for step in self.steps.values()
            if step.actor == actor and status in self.sources(step.code, provincial=provincial)
        ]

    def awaiting(self, actor: Actor) -> list[str]:
        """The stored states in which ``actor`` must act next (a report awaiting review)."""
        return [
            state.code for state in self.states.values() if state.stored and state.awaits == actor
        ]

    def is_done(self, step: str, status: str) -> bool:
        """Whether ``step`` has already been taken: asking again changes nothing."""
        return status in self.steps[step].done

    def open_to(self, status: str, actor: Actor) -> bool:
        """Whether ``actor`` may change the thing (a report's values) in ``status``."""
        return self.states[status].open_to == actor

    def locked_reason(self, status: str, **words: object) -> str | None:
        """Why the city may not change it in ``status`` (None: it may)."""
        state = self.states[status]
        if state.open_to == Actor.OFFICIAL or state.locked is None:
            return None
        return gettext(str(state.locked)) % {"status": self.word(status), **words}

    def word(self, status: str) -> str:
        return str(self.states[status].word)

    def label(self, status: str) -> str:
        return str(self.states[status].label)

    def refusal(
        self, step: str, status: str, *, provincial: bool = False, **words: object
    ) -> Refusal | None:
        """Why ``step`` cannot be taken from ``status``, or None when it can (or has already
        been taken: see :meth:`is_done`). ``provincial``: the programme uses the provincial
        review."""
        chosen = self.steps[step]
        if chosen.actor == Actor.PROVINCE and not provincial:
            return Refusal(
                f"{self.name}_no_provincial_review", None, gettext(str(NO_PROVINCE)), True
            )
        if status in self.sources(step, provincial=provincial) or status in chosen.done:
            return None
        if status in chosen.sources:
            return Refusal(
                f"{self.name}_{step}_before_province",
                None,
                gettext(str(BEFORE_PROVINCE)) % {"status": self.word(status)},
                locked=True,
            )
        if chosen.actor == Actor.OFFICIAL:
            reason = self.locked_reason(status, **words)
            if reason is not None:
                return Refusal(f"{self.name}_{status}", None, reason, locked=True)
        assert chosen.refused is not None, f"{self.name} step {step} says no refusal"
        return Refusal(
            f"{self.name}_{step}_not_from_{status}",
            "status",
            gettext(str(chosen.refused)) % {"status": self.word(status), **words},
            locked=False,
        )

    def missing(self, step: str, text: str) -> Refusal | None:
        """Why the written text ``step`` needs is refused (empty), or None."""
        chosen = self.steps[step]
        if chosen.needs is None or text.strip():
            return None
        return Refusal(
            f"{chosen.needs}_required", chosen.needs, str(chosen.needs_missing), locked=False
        )


# A city's report for a period ------------------------------------------------------------------

REPORT = Lifecycle(
    "report",
    states=(
        State(
            "missing",
            _("missing"),
            _("missing"),
            stored=False,
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State(
            "draft",
            _("draft"),
            _("draft"),
            open_to=Actor.OFFICIAL,
            values="draft",
            awaits=Actor.OFFICIAL,
        ),
        State(
            "submitted",
            _("submitted, awaiting review"),
            _("submitted"),
            locked=_("the report for %(period)s is %(status)s: it is awaiting review"),
            values="submitted",
            awaits=Actor.REVIEWER,
        ),
        State(
            "forwarded",
            _("forwarded by the province, awaiting the ministry's review"),
            _("forwarded by the province"),
            locked=_(
                "the report for %(period)s is %(status)s: it is awaiting the ministry's review"
            ),
            values="submitted",
            awaits=Actor.REVIEWER,
        ),
        State(
            "returned",
            _("returned to the city with a comment"),
            _("returned"),
            open_to=Actor.OFFICIAL,
            values="draft",
            awaits=Actor.OFFICIAL,
        ),
        State(
            "approved",
            _("approved (locked)"),
            _("approved"),
            locked=_(
                "the report for %(period)s is %(status)s: it is locked; a reviewer may reopen it"
            ),
            values="approved",
            final=True,
        ),
    ),
    steps=(
        Step(
            "create",
            _("Open the report"),
            Actor.OFFICIAL,
            sources=("missing",),
            target="draft",
            done=("draft", "submitted", "returned", "approved"),
        ),
        Step("edit", _("Save"), Actor.OFFICIAL, sources=("draft", "returned"), target=None),
        Step(
            "submit",
            _("Submit for review"),
            Actor.OFFICIAL,
            sources=("draft", "returned"),
            target="submitted",
            done=("submitted",),
        ),
        Step(
            "forward",
            _("Forward to the ministry…"),
            Actor.PROVINCE,
            sources=("submitted",),
            target="forwarded",
            needs="opinion",
            needs_missing=_("write the province's opinion (复核意见) for the ministry"),
            refused=_("only a submitted report can be forwarded; it is %(status)s"),
        ),
        Step(
            "send_back",
            _("Return to the city…"),
            Actor.PROVINCE,
            sources=("submitted",),
            target="returned",
            needs="comment",
            needs_missing=_("say what the city should fix"),
            open_period=False,
            refused=_("only a submitted report can be returned; it is %(status)s"),
        ),
        # The province's single-value return: as the ministry's ``return_values`` below, from
        # what awaits the province.
        Step(
            "send_back_values",
            _("Return single values…"),
            Actor.PROVINCE,
            sources=("submitted",),
            target="returned",
            needs="reason",
            needs_missing=_("give the reason for each value you return"),
            open_period=False,
            refused=_("only a submitted report's values can be returned; it is %(status)s"),
        ),
        Step(
            "approve",
            _("Approve"),
            Actor.REVIEWER,
            sources=("submitted", "forwarded"),
            target="approved",
            done=("approved",),
            refused=_("only a submitted report can be approved; it is %(status)s"),
            provincial=("forwarded",),
        ),
        Step(
            "return",
            _("Return to the city…"),
            Actor.REVIEWER,
            sources=("submitted", "forwarded"),
            target="returned",
            needs="comment",
            needs_missing=_("say what the city should fix"),
            open_period=False,
            refused=_("only a submitted report can be returned; it is %(status)s"),
            provincial=("forwarded",),
        ),
        Step(
            "reopen",
            _("Reopen…"),
            Actor.REVIEWER,
            sources=("approved",),
            target="returned",
            needs="reason",
            needs_missing=_("a written reason is required to reopen"),
            refused=_("only an approved report can be reopened; it is %(status)s"),
        ),
        # Single values back to the city, a reason each; the rest of the report stays as it
        # is (the city may change only those values until it submits again).
        Step(
            "return_values",
            _("Return single values…"),
            Actor.REVIEWER,
            sources=("submitted", "forwarded"),
            target="returned",
            needs="reason",
            needs_missing=_("give the reason for each value you return"),
            open_period=False,
            refused=_("only a submitted report's values can be returned; it is %(status)s"),
            provincial=("forwarded",),
        ),
    ),
)

ReportStatus = models.TextChoices(  # type: ignore[call-overload]
    "ReportStatus", [(code.upper(), (code, label)) for code, label in REPORT.choices()]
)


# A tranche decision ------------------------------------------------------------------------------


class SignOff(models.TextChoices):
    """Whether a decision may be signed off now, as the person looking at it is told: the
    conditions a sign-off step needs beyond the decision's own state (its run succeeded, is
    official and is the one decided for its programme and date; the four-eyes rule; no
    suspension of the city's payment standing, which only a second reviewer lifts)."""

    OPEN = "open", _("awaiting sign-off")
    PROVISIONAL = "provisional", _("provisional, not for sign-off")
    UNFINISHED = "unfinished", _("its run has not succeeded, not for sign-off")
    SIGNED = "signed", _("signed off")
    OWN_RUN = "own_run", _("awaiting sign-off by another reviewer (you triggered the run)")
    OTHER_RUN_SIGNED = "other_run_signed", _("another run of this date is being signed off")
    SUPERSEDED = "superseded", _("superseded by a newer run of this date")
    SUSPENDED = "suspended", _("the city's payment is suspended (dual monitoring)")


def sign_off_refusal(
    state: str, *, status_word: str, signed_run: int | None, newer_run: int | None
) -> Refusal | None:
    """Why a decision in sign-off ``state`` (a ``SignOff`` value) cannot be signed off now."""
    unfinished = gettext("only the decisions of a successful official run can be signed off")
    reasons: dict[str, str] = {
        SignOff.PROVISIONAL: unfinished,
        SignOff.UNFINISHED: unfinished,
        SignOff.SIGNED: gettext("this decision is already %(status)s and final")
        % {"status": status_word},
        SignOff.OWN_RUN: gettext(
            "the reviewer who triggered the run may not sign off its decisions"
        ),
        SignOff.OTHER_RUN_SIGNED: gettext(
            "the decisions of run #%(run)s for the same date are already being signed off; "
            "one official run per date is decided"
        )
        % {"run": signed_run},
        SignOff.SUPERSEDED: gettext(
            "run #%(run)s is a newer official run for the same date: sign off that one"
        )
        % {"run": newer_run},
        SignOff.SUSPENDED: gettext(
            "the city's payment is suspended: a second reviewer must lift the suspension "
            "before its decision can be signed off"
        ),
    }
    if state == SignOff.OPEN:
        return None
    return Refusal(f"decision_{state}", None, reasons[state], locked=True)


DECISION = Lifecycle(
    "decision",
    states=(
        State(
            "recommended",
            _("recommended, awaiting sign-off"),
            _("recommended"),
            awaits=Actor.REVIEWER,
        ),
        State("confirmed", _("confirmed"), _("confirmed"), final=True),
        State("overridden", _("overridden"), _("overridden"), final=True),
    ),
    steps=(
        Step(
            "confirm",
            _("Confirm"),
            Actor.REVIEWER,
            sources=("recommended",),
            target="confirmed",
            refused=_("this decision is already %(status)s and final"),
        ),
        Step(
            "override",
            _("Override"),
            Actor.REVIEWER,
            sources=("recommended",),
            target="overridden",
            needs="reason",
            needs_missing=_("a written reason is required to override"),
            refused=_("this decision is already %(status)s and final"),
        ),
    ),
)

DecisionStatus = models.TextChoices(  # type: ignore[call-overload]
    "DecisionStatus", [(code.upper(), (code, label)) for code, label in DECISION.choices()]
)

SIGNED = tuple(code for code, state in DECISION.states.items() if state.final)


# A rectification item (整改) -----------------------------------------------------------------
#
# After an official run is finalised, a city graded below its ruleset's threshold gets one item
# per indicator (later: task) it fell short on; the city answers each with the measures taken
# and evidence, and a reviewer accepts the answer or returns it with a comment.

RECTIFICATION = Lifecycle(
    "rectification",
    states=(
        State(
            "open",
            _("open, awaiting the city's answer"),
            _("open"),
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State(
            "answered",
            _("answered, awaiting review"),
            _("answered"),
            locked=_("this rectification item is %(status)s: it is awaiting review"),
            awaits=Actor.REVIEWER,
        ),
        State(
            "returned",
            _("returned to the city with a comment"),
            _("returned"),
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State(
            "accepted",
            _("accepted (closed)"),
            _("accepted"),
            locked=_("this rectification item is %(status)s: it is closed"),
            final=True,
        ),
    ),
    steps=(
        Step(
            "answer",
            _("Send the answer for review"),
            Actor.OFFICIAL,
            sources=("open", "returned"),
            target="answered",
            needs="measures",
            needs_missing=_("say what measures were taken"),
        ),
        Step(
            "accept",
            _("Accept"),
            Actor.REVIEWER,
            sources=("answered",),
            target="accepted",
            done=("accepted",),
            refused=_("only an answered rectification item can be accepted; it is %(status)s"),
        ),
        Step(
            "return",
            _("Return to the city…"),
            Actor.REVIEWER,
            sources=("answered",),
            target="returned",
            needs="comment",
            needs_missing=_("say what the city should add or change"),
            refused=_("only an answered rectification item can be returned; it is %(status)s"),
        ),
    ),
)

RectificationStatus = models.TextChoices(  # type: ignore[call-overload]
    "RectificationStatus",
    [(code.upper(), (code, label)) for code, label in RECTIFICATION.choices()],
)


# A city's expenditure of a period (budget execution) ------------------------------------------

EXPENDITURE = Lifecycle(
    "expenditure",
    states=(
        State(
            "missing",
            _("missing"),
            _("missing"),
            stored=False,
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State("draft", _("draft"), _("draft"), open_to=Actor.OFFICIAL, awaits=Actor.OFFICIAL),
        State(
            "submitted",
            _("submitted, awaiting review"),
            _("submitted"),
            locked=_("the expenditure of %(period)s is %(status)s: it is awaiting review"),
            awaits=Actor.REVIEWER,
        ),
        State(
            "returned",
            _("returned to the city with a comment"),
            _("returned"),
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State(
            "approved",
            _("approved (locked)"),
            _("approved"),
            locked=_(
                "the expenditure of %(period)s is %(status)s: it is locked; a reviewer may "
                "reopen it"
            ),
            final=True,
        ),
    ),
    steps=(
        Step(
            "edit", _("Save"), Actor.OFFICIAL, sources=("missing", "draft", "returned"), target=None
        ),
        Step(
            "submit",
            _("Submit for review"),
            Actor.OFFICIAL,
            sources=("draft", "returned"),
            target="submitted",
            done=("submitted",),
        ),
        Step(
            "approve",
            _("Approve"),
            Actor.REVIEWER,
            sources=("submitted",),
            target="approved",
            done=("approved",),
            refused=_("only submitted expenditure can be approved; it is %(status)s"),
        ),
        Step(
            "return",
            _("Return to the city…"),
            Actor.REVIEWER,
            sources=("submitted",),
            target="returned",
            needs="comment",
            needs_missing=_("say what the city should fix"),
            open_period=False,
            refused=_("only submitted expenditure can be returned; it is %(status)s"),
        ),
        Step(
            "reopen",
            _("Reopen…"),
            Actor.REVIEWER,
            sources=("approved",),
            target="returned",
            needs="reason",
            needs_missing=_("a written reason is required to reopen"),
            refused=_("only approved expenditure can be reopened; it is %(status)s"),
        ),
    ),
)

ExpenditureStatus = models.TextChoices(  # type: ignore[call-overload]
    "ExpenditureStatus", [(code.upper(), (code, label)) for code, label in EXPENDITURE.choices()]
)


# A city's self-evaluation (自评) for an evaluation date ---------------------------------------
#
# The city prepares it from the engine's figures, explains every shortfall, and submits it;
# where the programme uses the provincial review the province returns it or forwards it with
# its opinion (复核意见), and the ministry accepts or returns what was forwarded.

SELF_EVALUATION = Lifecycle(
    "self_evaluation",
    states=(
        State(
            "draft",
            _("draft"),
            _("draft"),
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State(
            "submitted",
            _("submitted, awaiting review"),
            _("submitted"),
            locked=_("the self-evaluation is %(status)s: it is awaiting review"),
            awaits=Actor.REVIEWER,
        ),
        State(
            "forwarded",
            _("forwarded by the province, awaiting the ministry's review"),
            _("forwarded by the province"),
            locked=_("the self-evaluation is %(status)s: it is awaiting the ministry's review"),
            awaits=Actor.REVIEWER,
        ),
        State(
            "returned",
            _("returned to the city with a comment"),
            _("returned"),
            open_to=Actor.OFFICIAL,
            awaits=Actor.OFFICIAL,
        ),
        State(
            "accepted",
            _("accepted by the ministry"),
            _("accepted"),
            locked=_("the self-evaluation is %(status)s: it is closed"),
            final=True,
        ),
    ),
    steps=(
        Step("edit", _("Save"), Actor.OFFICIAL, sources=("draft", "returned"), target=None),
        Step(
            "submit",
            _("Submit the self-evaluation"),
            Actor.OFFICIAL,
            sources=("draft", "returned"),
            target="submitted",
            done=("submitted",),
        ),
        Step(
            "forward",
            _("Forward to the ministry…"),
            Actor.PROVINCE,
            sources=("submitted",),
            target="forwarded",
            needs="opinion",
            needs_missing=_("write the province's opinion (复核意见) for the ministry"),
            refused=_("only a submitted self-evaluation can be forwarded; it is %(status)s"),
        ),
        Step(
            "send_back",
            _("Return to the city…"),
            Actor.PROVINCE,
            sources=("submitted",),
            target="returned",
            needs="comment",
            needs_missing=_("say what the city should fix"),
            refused=_("only a submitted self-evaluation can be returned; it is %(status)s"),
        ),
        Step(
            "accept",
            _("Accept"),
            Actor.REVIEWER,
            sources=("submitted", "forwarded"),
            target="accepted",
            done=("accepted",),
            refused=_("only a submitted self-evaluation can be accepted; it is %(status)s"),
            provincial=("forwarded",),
        ),
        Step(
            "return",
            _("Return to the city…"),
            Actor.REVIEWER,
            sources=("submitted", "forwarded"),
            target="returned",
            needs="comment",
            needs_missing=_("say what the city should fix"),
            refused=_("only a submitted self-evaluation can be returned; it is %(status)s"),
            provincial=("forwarded",),
        ),
    ),
)

SelfEvaluationStatus = models.TextChoices(  # type: ignore[call-overload]
    "SelfEvaluationStatus",
    [(code.upper(), (code, label)) for code, label in SELF_EVALUATION.choices()],
)
