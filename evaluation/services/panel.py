"""The tasks of the cities' plans and the expert panel (专家评审): the optional tasks each city
chose, which experts score which city, and their scores, each way in (the pages, the admin, the
API, ``import_task_choices`` and ``import_task_scores``) through these services. Each checks
first (who asks, what the ruleset has, what a finalised evaluation has fixed), then writes with
its history rows in one transaction; a refused request or file changes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext

from evaluation import inputs
from evaluation.access import (
    is_expert,
    is_reviewer,
    require_administrator,
    require_official_of,
)
from evaluation.exceptions import (
    FieldError,
    ImportRefused,
    Locked,
    NoRuleset,
    NotFound,
    Reason,
    RowError,
    WorkflowError,
    reason_of,
)
from evaluation.models import (
    EvaluationRun,
    ExpertProfile,
    OfficialAssignment,
    PanelAssignment,
    Participation,
    Programme,
    RulesetTask,
    TaskChoice,
    TaskScore,
)
from evaluation.models.cities import City
from evaluation.selectors import ruleset_current
from evaluation.services.audit import audited_delete, audited_save
from evaluation.services.imports import ImportSummary, dry_run_end
from evaluation.services.part_files import (
    duplicate,
    participation_of_row,
    participations_of_rows,
    required,
)
from evaluation.services.races import once_more_after_a_race
from evaluation.tabular import read_table

CHOICE_COLUMNS = ("city_code", "task")
SCORE_COLUMNS = ("city_code", "task", "expert", "score")
SCORE_OPTIONAL_COLUMNS = ("comment",)


# What the programme's ruleset has --------------------------------------------------------------


@dataclass(frozen=True)
class Tasks:
    """The tasks of a programme's current ruleset by code: compulsory and optional."""

    label: str
    compulsory: dict[str, RulesetTask]
    optional: dict[str, RulesetTask]

    def choice_refusal(self, code: str) -> Reason | None:
        """Why a city cannot choose ``code``, or None: only an optional task of the ruleset
        is chosen (a compulsory one needs no choice)."""
        if code in self.optional:
            return None
        if code in self.compulsory:
            return Reason(
                gettext("%(task)s is compulsory: every city does it, it is not chosen")
                % {"task": code},
                "task_compulsory",
            )
        return Reason(
            gettext("%(task)s is not an optional task of ruleset %(ruleset)s")
            % {"task": code, "ruleset": self.label},
            "unknown_task",
        )


def programme_tasks(*, programme: Programme) -> Tasks:
    """The tasks of the programme's current ruleset (none for a programme with no ruleset)."""
    try:
        ruleset = ruleset_current(programme=programme)
    except NoRuleset:
        return Tasks("—", {}, {})
    compulsory: dict[str, RulesetTask] = {}
    optional: dict[str, RulesetTask] = {}
    for task in ruleset.tasks.select_related("indicator").order_by("position", "indicator__code"):
        (compulsory if task.compulsory else optional)[task.indicator.code] = task
    return Tasks(ruleset.label, compulsory, optional)


def finalised_run(*, programme: Programme) -> EvaluationRun | None:
    """The programme's latest finalised official run: what it read no longer changes."""
    return (
        EvaluationRun.objects.filter(
            programme=programme, kind=EvaluationRun.Kind.OFFICIAL, finalised_at__isnull=False
        )
        .order_by("-finished_at", "-id")
        .first()
    )


def _choices_closed(programme: Programme) -> Reason | None:
    run = finalised_run(programme=programme)
    if run is None:
        return None
    return Reason(
        gettext(
            "the optional tasks are fixed: the programme %(programme)s evaluation as of "
            "%(as_of)s (run #%(run)s) that read them has been finalised"
        )
        % {"programme": programme.code, "as_of": run.as_of.isoformat(), "run": run.pk},
        "choices_fixed",
    )


# The optional tasks a city chose ---------------------------------------------------------------


def _may_choose(by: User | None, participation: Participation) -> None:
    """A city's officials record its choices; the ministry (or the system) may too."""
    if by is not None and not is_reviewer(by):
        require_official_of(by, participation)


def _scored(participation: Participation, codes: Iterable[str]) -> set[str]:
    return set(
        TaskScore.objects.filter(
            participation=participation, task__code__in=list(codes)
        ).values_list("task__code", flat=True)
    )


@dataclass(frozen=True)
class ChoicesChange:
    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _choices_write(
    participation: Participation,
    wanted: set[str],
    tasks: Tasks,
    *,
    by: User | None,
    reason: str,
) -> ChoicesChange:
    current = {
        c.task.code: c
        for c in TaskChoice.objects.filter(participation=participation).select_related("task")
    }
    removed = sorted(set(current) - wanted)
    added = sorted(wanted - set(current))
    for code in removed:
        audited_delete(current[code], by=by, reason=reason)
    for code in added:
        audited_save(
            TaskChoice(participation=participation, task=tasks.optional[code].indicator),
            by=by,
            reason=reason,
        )
    return ChoicesChange(added, removed)


@transaction.atomic
def task_choices_set(
    *, participation: Participation, tasks: Iterable[str], by: User | None
) -> ChoicesChange:
    """The optional tasks ``participation``'s city chose are exactly ``tasks`` (codes): at
    least one optional task of the programme's current ruleset, none compulsory, none the
    experts have already scored removed; fixed once an official evaluation of the programme
    has been finalised."""
    _may_choose(by, participation)
    participation = Participation.objects.select_for_update(of=("self",)).get(pk=participation.pk)
    programme = participation.programme
    known = programme_tasks(programme=programme)
    wanted = {code.strip() for code in tasks if code.strip()}
    errors = [
        FieldError("tasks", why)
        for code in sorted(wanted)
        if (why := known.choice_refusal(code)) is not None
    ]
    if known.optional and not wanted:
        errors.append(
            FieldError(
                "tasks",
                gettext("choose at least one optional task; a city chooses at least one"),
                "no_optional_task",
            )
        )
    if errors:
        raise WorkflowError(errors)
    current = set(
        TaskChoice.objects.filter(participation=participation).values_list("task__code", flat=True)
    )
    if current == wanted:
        return ChoicesChange([], [])
    closed = _choices_closed(programme)
    if closed is not None:
        raise Locked(closed)
    for code in sorted(_scored(participation, current - wanted)):
        errors.append(
            FieldError(
                "tasks",
                Reason(
                    gettext("%(task)s has already been scored by the experts; it stays chosen")
                    % {"task": code},
                    "task_scored",
                ),
            )
        )
    if errors:
        raise WorkflowError(errors)
    return _choices_write(participation, wanted, known, by=by, reason="optional tasks chosen")


@transaction.atomic
def task_choices_import(
    *, name: str, data: bytes, programme: Programme, by: User | None, dry_run: bool = False
) -> ImportSummary:
    """Load a task choices file (``city_code``, ``task``): each city named in it chose exactly
    the optional tasks of its rows; other cities keep theirs. All or nothing."""
    if by is not None:
        require_administrator(by)
    rows, errors = read_table(name, data, required=CHOICE_COLUMNS)
    known = programme_tasks(programme=programme)
    participations = participations_of_rows(programme, rows)
    wanted: dict[int, set[str]] = defaultdict(set)
    lines: dict[int, list[int]] = defaultdict(list)
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        row_errors: list[RowError] = []
        participation = participation_of_row(row, participations, programme, row_errors)
        code = required(row, "task", row_errors)
        if code and (why := known.choice_refusal(code)) is not None:
            row_errors.append(RowError(row.line, "task", why))
        key = (row.values.get("city_code", ""), code)
        if code and key in seen:
            row_errors.append(duplicate(row, seen[key], " ".join(key)))
        seen.setdefault(key, row.line)
        errors += row_errors
        if not row_errors and participation is not None:
            wanted[participation.pk].add(code)
            lines[participation.pk].append(row.line)
    closed = _choices_closed(programme)
    by_pk = {p.pk: p for p in participations.values()}
    summary = ImportSummary()
    for pk, codes in wanted.items():
        participation = by_pk[pk]
        current = set(
            TaskChoice.objects.filter(participation=participation).values_list(
                "task__code", flat=True
            )
        )
        if current == codes:
            summary.unchanged += len(codes)
            continue
        if closed is not None:
            errors += [RowError(line, "task", closed) for line in lines[pk]]
            continue
        for code in sorted(_scored(participation, current - codes)):
            errors.append(
                RowError(
                    lines[pk][0],
                    "task",
                    Reason(
                        gettext(
                            "city %(city)s: %(task)s has already been scored by the experts; "
                            "it stays chosen"
                        )
                        % {"city": participation.city.code, "task": code},
                        "task_scored",
                    ),
                )
            )
    if errors:
        raise ImportRefused(name, errors)
    reason = f"import_task_choices {name} --programme {programme.code}"
    for pk, codes in wanted.items():
        change = _choices_write(by_pk[pk], codes, known, by=by, reason=reason)
        summary.created += len(change.added)
        summary.updated += len(change.removed)
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary


# The panel: which experts score which city -------------------------------------------------------


def own_city_ids(expert: User) -> set[int]:
    """The cities an expert may never score: the one their profile names (where they work)
    and every city they are an official of."""
    own = set(
        OfficialAssignment.objects.filter(user=expert).values_list(
            "participation__city_id", flat=True
        )
    )
    profile = ExpertProfile.objects.filter(user=expert).first()
    if profile is not None and profile.home_city_id is not None:
        own.add(profile.home_city_id)
    return own


@transaction.atomic
def expert_home_city_set(*, expert: User, city: City | None, by: User | None) -> ExpertProfile:
    """Record the city an expert belongs to (None: none). Refused while they are assigned to
    score it."""
    if by is not None:
        require_administrator(by)
    if (
        city is not None
        and PanelAssignment.objects.filter(expert=expert, participation__city=city).exists()
    ):
        raise WorkflowError(
            [
                FieldError(
                    "home_city",
                    gettext("%(expert)s is assigned to score %(city)s: unassign them first")
                    % {"expert": expert.username, "city": city.code},
                    "assigned_to_own_city",
                )
            ]
        )
    profile = ExpertProfile.objects.filter(user=expert).first() or ExpertProfile(user=expert)
    if profile.pk is not None and profile.home_city_id == (city.pk if city else None):
        return profile
    profile.home_city = city
    return audited_save(profile, by=by, reason="own city recorded")


@transaction.atomic
def expert_assign(*, expert: User, participation: Participation, by: User | None) -> bool:
    """Put ``expert`` on the programme's panel for ``participation``'s city (again: no change).
    Only an expert, never for their own city. Returns whether anything changed."""
    if by is not None:
        require_administrator(by)
    if not is_expert(expert):
        raise WorkflowError(
            [
                FieldError(
                    "expert",
                    gettext(
                        "%(user)s is not an expert: give the role first (manage.py grant_role "
                        "%(user)s expert)"
                    )
                    % {"user": expert.username},
                    "not_an_expert",
                )
            ]
        )
    if participation.city_id in own_city_ids(expert):
        raise WorkflowError(
            [
                FieldError(
                    "participation",
                    gettext("%(user)s belongs to %(city)s: an expert never scores their own city")
                    % {"user": expert.username, "city": participation.city.code},
                    "own_city",
                )
            ]
        )
    if PanelAssignment.objects.filter(expert=expert, participation=participation).exists():
        return False
    audited_save(
        PanelAssignment(participation=participation, expert=expert, assigned_by=by),
        by=by,
        reason="assigned to the panel",
    )
    return True


@transaction.atomic
def expert_unassign(*, expert: User, participation: Participation, by: User | None) -> bool:
    """Take ``expert`` off the city's panel; their scores stay (with their history)."""
    if by is not None:
        require_administrator(by)
    assignment = PanelAssignment.objects.filter(expert=expert, participation=participation).first()
    if assignment is None:
        return False
    audited_delete(assignment, by=by, reason="taken off the panel")
    return True


# Scores ------------------------------------------------------------------------------------------


def city_task_codes(participation: Participation) -> tuple[Tasks, set[str]]:
    """The programme's tasks, and the codes of those ``participation``'s city is scored on:
    the compulsory ones and the optional ones it chose."""
    known = programme_tasks(programme=participation.programme)
    chosen = set(
        TaskChoice.objects.filter(
            participation=participation, task__code__in=list(known.optional)
        ).values_list("task__code", flat=True)
    )
    return known, set(known.compulsory) | chosen


def score_parse(text: str) -> Decimal:
    """A score: a fraction from 0 to 1 with at most two decimals (``ValueError`` with the
    reason)."""
    value = inputs.parse_number(text.strip(), places=2)
    if value > 1:
        raise ValueError(
            Reason(
                gettext("%(score)s is above 1: a score is a fraction from 0 to 1")
                % {"score": text.strip()},
                "score_above_one",
            )
        )
    return value


def score_locked(score: TaskScore | None, programme: Programme) -> Reason | None:
    """Why an existing score can no longer change: a finalised official run read it (it
    finished after the score was last changed)."""
    if score is None:
        return None
    run = (
        EvaluationRun.objects.filter(
            programme=programme,
            kind=EvaluationRun.Kind.OFFICIAL,
            finalised_at__isnull=False,
            finished_at__gte=score.scored_at,
        )
        .order_by("finished_at", "id")
        .first()
    )
    if run is None:
        return None
    return Reason(
        gettext(
            "this score was read by the programme %(programme)s evaluation as of %(as_of)s "
            "(run #%(run)s), which has been finalised: it can no longer change"
        )
        % {"programme": programme.code, "as_of": run.as_of.isoformat(), "run": run.pk},
        "score_final",
    )


def _not_the_citys(code: str, participation: Participation) -> Reason:
    return Reason(
        gettext(
            "%(task)s is not a task of %(city)s: a score for a task the city did not choose "
            "is refused"
        )
        % {"task": code, "city": participation.city.code},
        "task_not_chosen",
    )


@transaction.atomic
@once_more_after_a_race
def task_score_set(
    *, participation: Participation, task: str, score: str, comment: str, by: User
) -> TaskScore:
    """``by``, an expert assigned to the city, scores its task ``task`` (``score`` as typed,
    0 to 1 with two decimals) with a comment. Scoring it again replaces the score (kept in its
    history), unless a finalised run read it."""
    if not PanelAssignment.objects.filter(expert=by, participation=participation).exists():
        raise NotFound()
    participation = Participation.objects.select_related("programme", "city").get(
        pk=participation.pk
    )
    known, codes = city_task_codes(participation)
    errors: list[FieldError] = []
    if task not in codes:
        errors.append(FieldError("task", _not_the_citys(task, participation)))
    try:
        value = score_parse(score)
    except ValueError as exc:
        errors.append(FieldError("score", reason_of(exc)))
    if errors:
        raise WorkflowError(errors)
    existing = (
        TaskScore.objects.select_for_update(of=("self",))
        .filter(participation=participation, task__code=task, expert=by)
        .first()
    )
    comment = comment.strip()
    if existing is not None and (existing.score, existing.comment) == (value, comment):
        return existing
    locked = score_locked(existing, participation.programme)
    if locked is not None:
        raise Locked(locked)
    entry = (known.compulsory.get(task) or known.optional[task]).indicator
    made = existing or TaskScore(participation=participation, task=entry, expert=by)
    made.score, made.comment = value, comment
    return audited_save(made, by=by, reason="scored" if existing is None else "score changed")


@transaction.atomic
def task_scores_import(
    *, name: str, data: bytes, programme: Programme, by: User | None, dry_run: bool = False
) -> ImportSummary:
    """Load a task scores file (``city_code``, ``task``, ``expert``, ``score``, and an optional
    ``comment``): each row one expert's score of one of a city's tasks, the expert on the
    city's panel. All or nothing."""
    if by is not None:
        require_administrator(by)
    rows, errors = read_table(name, data, required=SCORE_COLUMNS, optional=SCORE_OPTIONAL_COLUMNS)
    participations = participations_of_rows(programme, rows)
    experts = {
        u.username: u
        for u in User.objects.filter(username__in={r.values.get("expert", "") for r in rows})
    }
    panels = set(
        PanelAssignment.objects.filter(participation__programme=programme).values_list(
            "participation_id", "expert_id"
        )
    )
    codes_of: dict[int, tuple[Tasks, set[str]]] = {}
    existing = {
        (s.participation_id, s.task.code, s.expert_id): s
        for s in TaskScore.objects.filter(participation__programme=programme).select_related("task")
    }
    seen: dict[tuple[str, str, str], int] = {}
    good: list[tuple[Participation, RulesetTask, User, Decimal, str]] = []
    for row in rows:
        row_errors: list[RowError] = []
        participation = participation_of_row(row, participations, programme, row_errors)
        code = required(row, "task", row_errors)
        username = required(row, "expert", row_errors)
        expert = experts.get(username)
        if username and expert is None:
            row_errors.append(
                RowError(row.line, "expert", gettext("no user named %(name)r") % {"name": username})
            )
        value: Decimal | None = None
        try:
            value = score_parse(row.values.get("score", ""))
        except ValueError as exc:
            row_errors.append(RowError(row.line, "score", reason_of(exc)))
        task: RulesetTask | None = None
        if participation is not None and code:
            if participation.pk not in codes_of:
                codes_of[participation.pk] = city_task_codes(participation)
            known, codes = codes_of[participation.pk]
            if code in codes:
                task = known.compulsory.get(code) or known.optional[code]
            else:
                row_errors.append(RowError(row.line, "task", _not_the_citys(code, participation)))
        if participation is not None and expert is not None:
            if not is_expert(expert):
                row_errors.append(
                    RowError(
                        row.line,
                        "expert",
                        Reason(
                            gettext("%(user)s is not an expert") % {"user": username},
                            "not_an_expert",
                        ),
                    )
                )
            elif (participation.pk, expert.pk) not in panels:
                row_errors.append(
                    RowError(
                        row.line,
                        "expert",
                        Reason(
                            gettext(
                                "%(user)s is not on the panel of %(city)s (manage.py assign_expert)"
                            )
                            % {"user": username, "city": participation.city.code},
                            "not_on_the_panel",
                        ),
                    )
                )
        key = (row.values.get("city_code", ""), code, username)
        if code and username and key in seen:
            row_errors.append(duplicate(row, seen[key], " ".join(key)))
        seen.setdefault(key, row.line)
        errors += row_errors
        if row_errors or participation is None or expert is None or task is None:
            continue
        assert value is not None
        comment = row.values.get("comment", "")
        stored = existing.get((participation.pk, code, expert.pk))
        if stored is not None and (stored.score, stored.comment) != (value, comment):
            locked = score_locked(stored, programme)
            if locked is not None:
                errors.append(RowError(row.line, "score", locked))
                continue
        good.append((participation, task, expert, value, comment))
    if errors:
        raise ImportRefused(name, errors)
    reason = f"import_task_scores {name} --programme {programme.code}"
    summary = ImportSummary()
    for participation, task, expert, value, comment in good:
        stored = existing.get((participation.pk, task.indicator.code, expert.pk))
        if stored is None:
            stored = TaskScore(participation=participation, task=task.indicator, expert=expert)
            summary.created += 1
        elif (stored.score, stored.comment) == (value, comment):
            summary.unchanged += 1
            continue
        else:
            summary.updated += 1
        stored.score, stored.comment = value, comment
        audited_save(stored, by=by, reason=reason)
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary
