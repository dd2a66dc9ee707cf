"""The city's self-evaluation (自评) and the province's review (省级复核), through the services:
the engine's figures at the evaluation date, a reason and measures required for each shortfall
(the refusal names the indicator, in the reader's language, and changes nothing), frozen once
submitted; returned or forwarded by the city's province only, the ministry acting on what the
province forwarded; without the provincial review the ministry reviews it directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from evaluation.exceptions import Forbidden, Locked, NotFound, WorkflowError
from evaluation.models import (
    MetricValue,
    OfficialAssignment,
    Programme,
    ProvincialOpinion,
    ProvincialReviewer,
    RoleChange,
    SelfEvaluation,
)
from evaluation.self_evaluations import (
    engine_figures,
    evaluation_dates,
    province_work,
    self_evaluation_view,
    self_evaluations_for,
)
from evaluation.services import people
from evaluation.services import self_evaluation as service
from tests.factories import ParticipationFactory, UserFactory, meet_every_target

pytestmark = pytest.mark.django_db
MIDTERM = dt.date(2021, 12, 31)


@pytest.fixture
def hefei(programme):
    participation = ParticipationFactory(
        programme=programme, city__code="340100", city__name_en="Hefei", city__name_zh="合肥市"
    )
    meet_every_target(participation.city)
    # Operation centres: 1 of the 2 the mid-term pro-rates (3 * 2 / 3): a shortfall.
    MetricValue.objects.filter(city=participation.city, indicator__code="operation_centres").update(
        value=Decimal(1)
    )
    return participation


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=hefei)
    return user


@pytest.fixture
def anhui(hefei):
    user = UserFactory(username="anhui.reviewer")
    people.province_bind(user=user, province="34")
    return user


@pytest.fixture
def yunnan(db):
    user = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=user, province="53")
    return user


def provincial(programme, on=True):
    Programme.objects.filter(pk=programme.pk).update(provincial_review=on)
    programme.refresh_from_db()


def state(item: SelfEvaluation) -> tuple:
    item = SelfEvaluation.objects.get(pk=item.pk)
    lines = tuple(item.lines.values_list("indicator__code", "points", "shortfall_reason"))
    return item.status, item.version, item.figures, lines, ProvincialOpinion.objects.count()


def explained(item, official, **more):
    return service.self_evaluation_explain(
        self_evaluation=item,
        explanations={"operation_centres": ("第二个中心选址推迟", "2022年6月前建成"), **more},
        by=official,
    )


def test_the_evaluation_dates_are_the_mid_term_and_the_end(programme):
    assert evaluation_dates(programme=programme) == [MIDTERM, dt.date(2022, 12, 31)]


def test_prepared_it_holds_the_engines_figures_and_marks_each_shortfall(hefei, official):
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    outcome = engine_figures(participation=hefei, as_of=MIDTERM)
    assert item.figures["score"] == f"{outcome.score:.2f}"
    assert item.figures["grade"] == outcome.grade
    lines = {line.indicator.code: line for line in item.lines.select_related("indicator")}
    assert len(lines) == len(outcome.indicators)
    short = {code for code, line in lines.items() if line.short}
    assert short == {"operation_centres"}
    centres = lines["operation_centres"]
    assert (centres.target, centres.actual, centres.attainment) == (2, 1, Decimal("0.5"))
    assert centres.points == centres.weight / 2
    assert outcome.score == 100 - centres.weight / 2


def test_submitting_with_a_shortfall_unexplained_is_refused_naming_it_and_changes_nothing(
    hefei, official
):
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    before = state(item)
    with pytest.raises(WorkflowError) as refused:
        service.self_evaluation_submit(self_evaluation=item, by=official)
    fields = {(e.field, e.code) for e in refused.value.errors}
    assert fields == {
        ("reason-operation_centres", "shortfall_reason_required"),
        ("measures-operation_centres", "measures_required"),
    }
    assert "operation centres" in str(refused.value).lower()
    assert state(item) == before


@pytest.mark.chinese
def test_the_refusal_is_in_chinese_for_a_chinese_reader(hefei, official):
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    with translation.override("zh-hans"), pytest.raises(WorkflowError) as refused:
        service.self_evaluation_submit(self_evaluation=item, by=official)
    assert "运营中心" in refused.value.errors[0].reason
    assert "偏差原因" in refused.value.errors[0].reason
    assert "below" not in refused.value.errors[0].reason


def test_submitted_it_is_frozen(hefei, official, programme, reviewer):
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    explained(item, official)
    item = service.self_evaluation_submit(self_evaluation=item, by=official)
    assert item.status == "submitted" and item.submitted_by == official
    MetricValue.objects.filter(city=hefei.city, indicator__code="operation_centres").update(
        value=Decimal(5)
    )
    before = state(item)
    with pytest.raises(Locked):
        service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    with pytest.raises(Locked):
        explained(item, official)
    assert state(item) == before
    # Without the provincial review the ministry accepts it directly.
    accepted = service.self_evaluation_accept(self_evaluation=item, by=reviewer)
    assert accepted.status == "accepted"


def test_the_province_returns_it_and_forwards_it_and_the_ministry_starts_from_there(
    hefei, official, programme, anhui, reviewer
):
    provincial(programme)
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    explained(item, official)
    item = service.self_evaluation_submit(self_evaluation=item, by=official)
    before = state(item)
    with pytest.raises(Locked) as early:
        service.self_evaluation_accept(self_evaluation=item, by=reviewer)
    assert early.value.errors[0].code == "self_evaluation_accept_before_province"
    with pytest.raises(WorkflowError) as empty:
        service.self_evaluation_send_back(self_evaluation=item, comment=" ", by=anhui)
    assert empty.value.errors[0].code == "comment_required"
    assert state(item) == before

    item = service.self_evaluation_send_back(
        self_evaluation=item, comment="偏差原因过于简略", by=anhui
    )
    assert item.status == "returned" and item.review_comment == "偏差原因过于简略"
    explained(item, official)
    item = service.self_evaluation_submit(self_evaluation=item, by=official)
    with pytest.raises(WorkflowError) as no_opinion:
        service.self_evaluation_forward(self_evaluation=item, opinion="", by=anhui)
    assert no_opinion.value.errors[0].code == "opinion_required"
    item = service.self_evaluation_forward(
        self_evaluation=item, opinion="情况属实，同意报送", by=anhui
    )
    assert item.status == "forwarded"
    view = self_evaluation_view(self_evaluation=item, fetched_by=reviewer)
    assert [o.text for o in view.opinions] == ["偏差原因过于简略", "情况属实，同意报送"]
    assert view.ministry_may_act and not view.province_may_act
    assert service.self_evaluation_accept(self_evaluation=item, by=reviewer).status == "accepted"


def test_only_the_citys_province_acts_and_sees_it(
    hefei, official, programme, anhui, yunnan, reviewer
):
    provincial(programme)
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    explained(item, official)
    item = service.self_evaluation_submit(self_evaluation=item, by=official)
    before = state(item)
    for person, refusal in ((yunnan, NotFound), (official, NotFound), (reviewer, Forbidden)):
        with pytest.raises(refusal):
            service.self_evaluation_forward(self_evaluation=item, opinion="同意", by=person)
    with pytest.raises(Forbidden):
        service.self_evaluation_accept(self_evaluation=item, by=anhui)
    assert state(item) == before
    assert list(self_evaluations_for(yunnan)) == []
    assert list(self_evaluations_for(anhui)) == [item]
    assert province_work(fetched_by=yunnan).self_evaluations == []
    assert province_work(fetched_by=anhui).self_evaluations == [item]
    with pytest.raises(NotFound):
        province_work(fetched_by=official)


def test_without_the_provincial_review_the_province_sees_nothing(hefei, official, anhui):
    item = service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=official)
    assert list(self_evaluations_for(anhui)) == []
    assert province_work(fetched_by=anhui).cities == []
    assert item.participation.programme.provincial_review is False


def test_another_citys_official_cannot_prepare_it(hefei, programme):
    stranger = UserFactory(username="zhao.lei")
    OfficialAssignment.objects.create(
        user=stranger, participation=ParticipationFactory(programme=programme)
    )
    with pytest.raises(NotFound):
        service.self_evaluation_prepare(participation=hefei, as_of=MIDTERM, by=stranger)
    assert not SelfEvaluation.objects.exists()


def test_a_date_that_is_no_evaluation_date_is_refused(hefei, official):
    with pytest.raises(WorkflowError) as refused:
        service.self_evaluation_prepare(
            participation=hefei, as_of=dt.date(2021, 6, 30), by=official
        )
    assert refused.value.errors[0].field == "as_of"
    assert not SelfEvaluation.objects.exists()


def test_grant_role_binds_a_provincial_reviewer(db):
    user = UserFactory(username="anhui.finance")
    call_command("grant_role", "anhui.finance", "province", "--province", "34")
    assert ProvincialReviewer.objects.get(user=user).province == "34"
    assert RoleChange.objects.filter(user=user, role="province").count() == 1
    user.refresh_from_db()
    assert not user.is_staff  # the province works on the portal, not in the admin
    with pytest.raises(CommandError, match="province"):
        call_command("grant_role", "anhui.finance", "province")
    with pytest.raises(CommandError, match="99"):
        call_command("grant_role", "anhui.finance", "province", "--province", "99")
    assert ProvincialReviewer.objects.get(user=user).province == "34"
