"""The lifecycles as one table (``evaluation.workflow``): every service takes exactly the steps
the table allows, from exactly the states it names, by the people it names; every other step is
refused with the table's reason and code and changes nothing; the model's choices, the admin's
buttons and the portal's flags come from the table; no template or view lists states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from evaluation import selectors, workflow
from evaluation.exceptions import Forbidden, Locked, NotFound, WorkflowError
from evaluation.models import MetricValue, Programme, Report, TrancheDecision
from evaluation.scoring import Period
from evaluation.services import people, reporting
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
MARCH = Period.parse("2021-03")
REPORT = workflow.REPORT


@pytest.fixture
def hefei(programme):
    return ParticipationFactory(programme=programme, city__code="340100")


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei")
    hefei.officials.create(user=user)
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="wang.fang")
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


@pytest.fixture
def province(hefei):
    """A reviewer of Anhui (34), Hefei's province."""
    user = UserFactory(username="anhui.reviewer")
    people.province_bind(user=user, province="34")
    return user


def provincial(hefei, on: bool) -> None:
    Programme.objects.filter(pk=hefei.programme_id).update(provincial_review=on)
    hefei.programme.refresh_from_db()


def report_in(state: str, hefei, official, reviewer, province=None) -> Report:
    """A report of March 2021 brought to ``state`` through the services (``forwarded``: in a
    programme with the provincial review, by the province's reviewer)."""
    report = reporting.report_create(participation=hefei, period=MARCH, by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "4"}),
        version=report.version,
        by=official,
    )
    if state == "draft":
        return report
    report = reporting.report_submit(report=report, version=None, by=official)
    if state == "returned" and report.participation.programme.provincial_review:
        return reporting.report_send_back(report=report, comment="check March", by=province)
    if state == "returned":
        return reporting.report_return(report=report, comment="check March", by=reviewer)
    if state == "forwarded":
        return reporting.report_forward(report=report, opinion="核实无误", by=province)
    if state == "approved":
        if report.participation.programme.provincial_review:
            report = reporting.report_forward(report=report, opinion="核实无误", by=province)
        return reporting.report_approve(report=report, by=reviewer)
    return report


def take(step: str, report: Report, official, reviewer, province=None) -> Report:
    """Take ``step`` as the person the table names for it."""
    if step == "forward":
        return reporting.report_forward(report=report, opinion="同意", by=province)
    if step == "send_back":
        return reporting.report_send_back(report=report, comment="请补充", by=province)
    if step == "send_back_values":
        return reporting.report_return_values(
            report=report, reasons={"pledge_projects": "请核对"}, by=province, step=step
        )
    if step == "edit":
        return reporting.report_values_set(
            report=report, values={"pledge_projects": "5"}, version=report.version, by=official
        )
    if step == "submit":
        return reporting.report_submit(report=report, version=None, by=official)
    if step == "approve":
        return reporting.report_approve(report=report, by=reviewer)
    if step == "return":
        return reporting.report_return(report=report, comment="again", by=reviewer)
    if step == "return_values":
        return reporting.report_return_values(
            report=report, reasons={"pledge_projects": "请核对"}, by=reviewer
        )
    if step == "reopen":
        return reporting.report_reopen(report=report, reason="a correction", by=reviewer)
    raise AssertionError(step)


def snapshot(report: Report) -> tuple:
    report = Report.objects.get(pk=report.pk)
    values = tuple(
        MetricValue.objects.filter(report=report)
        .order_by("pk")
        .values_list("value", "status", "approved_at", "flags")
    )
    return report.status, report.version, report.review_comment, values


STORED = [code for code, _ in REPORT.choices()]
STEPS = [code for code in REPORT.steps if code != "create"]


# A report reaches "forwarded" only where the province reviews: that state is tried there alone.
CASES = [
    (with_province, state)
    for with_province in (False, True)
    for state in STORED
    if with_province or state != "forwarded"
]


@pytest.mark.parametrize(
    ("with_province", "state"),
    CASES,
    ids=[f"{'province' if p else 'ministry only'}-{s}" for p, s in CASES],
)
@pytest.mark.parametrize("step", STEPS)
def test_each_step_is_taken_from_the_states_the_table_names_and_refused_from_the_others(
    state, step, with_province, hefei, official, reviewer, province
):
    """In a programme without the provincial review (the default) and in one with it: there
    the ministry approves or returns only what the province forwarded, and the province's
    steps exist only there."""
    provincial(hefei, with_province)
    report = report_in(state, hefei, official, reviewer, province)
    before = snapshot(report)
    chosen = REPORT.step(step)
    if state in REPORT.sources(step, provincial=with_province):
        after = take(step, report, official, reviewer, province)
        target = chosen.target or state  # None: it stays where it is
        assert after.status == target
        assert Report.objects.get(pk=report.pk).status == target
        # The report's values follow it into the state the table says.
        statuses = set(MetricValue.objects.filter(report=report).values_list("status", flat=True))
        assert statuses == {REPORT.state(target).values}
        return
    if chosen.actor == workflow.Actor.PROVINCE and not with_province:
        # No province reviews this programme's cities: to its reviewers they do not exist.
        with pytest.raises(NotFound):
            take(step, report, official, reviewer, province)
        assert snapshot(report) == before
        return
    if state in chosen.done:
        take(step, report, official, reviewer, province)
        assert snapshot(report) == before  # asking again changes nothing
        return
    refusal = REPORT.refusal(step, state, provincial=with_province, period=MARCH)
    assert refusal is not None
    expected = Locked if refusal.locked else WorkflowError
    with pytest.raises(expected) as refused:
        take(step, report, official, reviewer, province)
    [error] = refused.value.errors
    assert (error.field, error.code, error.reason) == (refusal.field, refusal.code, refusal.reason)
    assert snapshot(report) == before


@pytest.mark.parametrize("step", STEPS)
def test_a_step_is_taken_only_by_the_people_the_table_names(
    step, hefei, official, reviewer, province
):
    """An official cannot take a reviewer's step, a reviewer cannot fill in a city's report
    nor act for a province, a provincial reviewer takes no one else's step and sees no other
    province's city, and an official of another city does not see the report at all."""
    provincial(hefei, True)
    chosen = REPORT.step(step)
    state = next(s for s in STORED if s in REPORT.sources(step, provincial=True))
    report = report_in(state, hefei, official, reviewer, province)
    before = snapshot(report)
    other = UserFactory(username="aili")
    ParticipationFactory(programme=hefei.programme, city__code="650100").officials.create(
        user=other
    )
    xinjiang = UserFactory(username="xinjiang.reviewer")
    people.province_bind(user=xinjiang, province="65")
    wrong = reviewer if chosen.actor == workflow.Actor.OFFICIAL else official
    others = [
        (wrong, (Forbidden, NotFound)),
        (other, (NotFound, Forbidden)),
        (xinjiang, (NotFound, Forbidden)),
    ]
    if chosen.actor != workflow.Actor.PROVINCE:
        others.append((province, (Forbidden, NotFound)))
    for person, refusal in others:
        with pytest.raises(refusal):
            take(step, report, person, person, person)
    assert snapshot(report) == before


def test_a_step_that_needs_words_is_refused_without_them(hefei, official, reviewer):
    submitted = report_in("submitted", hefei, official, reviewer)
    with pytest.raises(WorkflowError) as refused:
        reporting.report_return(report=submitted, comment="  ", by=reviewer)
    [error] = refused.value.errors
    assert (error.field, error.code) == ("comment", "comment_required")
    assert Report.objects.get(pk=submitted.pk).status == "submitted"


def test_the_models_choices_are_the_tables():
    assert Report.Status.choices == REPORT.choices()
    assert TrancheDecision.Status.choices == workflow.DECISION.choices()
    assert {code for code, _ in REPORT.choices()} == set(REPORT.states) - {"missing"}


def test_the_admin_offers_the_review_steps_the_table_allows(hefei, official, reviewer):
    submitted = report_in("submitted", hefei, official, reviewer)
    assert [s.code for s in selectors.report_review_steps(report=submitted)] == [
        "approve",
        "return",
        "return_values",
    ]
    approved = reporting.report_approve(report=submitted, by=reviewer)
    assert [s.code for s in selectors.report_review_steps(report=approved)] == ["reopen"]


def test_the_table_refuses_a_provinces_step_where_the_programme_has_none():
    refusal = REPORT.refusal("forward", "submitted", provincial=False)
    assert refusal is not None and refusal.code == "report_no_provincial_review"
    assert REPORT.steps_from("submitted", workflow.Actor.PROVINCE) == []
    before = REPORT.refusal("approve", "submitted", provincial=True)
    assert before is not None and before.code == "report_approve_before_province"
    assert REPORT.refusal("approve", "forwarded", provincial=True) is None
    assert REPORT.refusal("approve", "submitted", provincial=False) is None


def test_with_the_provincial_review_the_admin_offers_nothing_before_the_province(
    hefei, official, reviewer, province
):
    provincial(hefei, True)
    submitted = report_in("submitted", hefei, official, reviewer, province)
    assert selectors.report_review_steps(report=submitted) == []
    forwarded = reporting.report_forward(report=submitted, opinion="同意", by=province)
    assert [s.code for s in selectors.report_review_steps(report=forwarded)] == [
        "approve",
        "return",
        "return_values",
    ]


# No page lists states --------------------------------------------------------------------------

STATE_NAMES = "|".join(
    sorted(
        {
            *REPORT.states,
            *workflow.DECISION.states,
            *workflow.RECTIFICATION.states,
            *workflow.SELF_EVALUATION.states,
        }
    )
)
# A state named in a comparison: status == "draft", state in ("missing", …), != 'approved'…
COMPARISON = re.compile(
    rf"""(==|!=|\bin\b)\s*[(\[]?\s*["'](?:{STATE_NAMES})["']"""
    rf"""|["'](?:{STATE_NAMES})["']\s*(==|!=)"""
)


def _sources() -> list[Path]:
    found = []
    for app in ("evaluation", "cities", "reports"):
        for path in (ROOT / app).rglob("*"):
            if path.suffix not in (".py", ".html") or "migrations" in path.parts:
                continue
            if path.name == "workflow.py":
                continue
            found.append(path)
    return found


def test_no_template_or_view_compares_a_state_by_name():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COMPARISON.search(line)
    ]
    assert offenders == []


def test_no_template_or_view_lists_report_states_by_member():
    """Only the table names which report states allow what (``Report.Status.SUBMITTED`` in a
    view or a selector is a list of states in disguise)."""
    member = re.compile(r"Report\.Status\.[A-Z]+")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if member.search(line) and "models" not in path.parts
    ]
    assert offenders == []
