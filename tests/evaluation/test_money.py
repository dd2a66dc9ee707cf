"""A city's money beyond its sums: its planned spending per year (``import_budget``, the page,
the API) and its expenditure per period with the evidence, approved by reviewers like its
figures: the same history, locking, isolation and closed periods. Refusals name the field or
the file's row, and change nothing."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluation.exceptions import Forbidden, ImportRefused, Locked, NotFound, WorkflowError
from evaluation.models import Expenditure, OfficialAssignment, SpendingPlan
from evaluation.scoring import Period
from evaluation.services import money
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory, meet_every_target
from tests.parts import finalise, official_run, reviewer_named

pytestmark = pytest.mark.django_db

P = Period.parse


@pytest.fixture
def hefei(programme):
    return ParticipationFactory(programme=programme, city__code="340100", city__name_en="Hefei")


@pytest.fixture
def kunming(programme):
    return ParticipationFactory(programme=programme, city__code="530100", city__name_en="Kunming")


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=hefei)
    return user


@pytest.fixture
def other_official(kunming):
    user = UserFactory(username="zhao.lei")
    OfficialAssignment.objects.create(user=user, participation=kunming)
    return user


def codes(error: WorkflowError) -> list[tuple[str | None, str]]:
    return [(e.field, e.code) for e in error.errors]


# The plan -----------------------------------------------------------------------------------------


def test_the_city_plans_its_spending_year_by_year_with_history(hefei, official):
    plan = money.plan_set(participation=hefei, year=2021, planned="45000000.00", by=official)

    assert (plan.year, plan.planned) == (2021, Decimal("45000000.00"))
    (record,) = plan.history.all()
    assert (record.history_user, record.history_change_reason) == (official, "planned spending set")
    again = money.plan_set(participation=hefei, year=2021, planned="45000000", by=official)
    assert again.history.count() == 1  # the same figure changes nothing


@pytest.mark.parametrize(
    ("year", "planned", "refused"),
    [
        (2019, "100", [("year", "not_a_construction_year")]),
        (2023, "100", [("year", "not_a_construction_year")]),
        (2021, "-1", [("planned", "negative")]),
        (2021, "1.234", [("planned", "too_many_decimals")]),
        (2021, "0", [("planned", "plan_sums_to_zero")]),
    ],
)
def test_a_plan_out_of_the_rules_is_refused_by_its_field(hefei, official, year, planned, refused):
    with pytest.raises(WorkflowError) as error:
        money.plan_set(participation=hefei, year=year, planned=planned, by=official)

    assert codes(error.value) == refused
    assert not SpendingPlan.objects.exists()


def test_another_citys_official_plans_nothing_of_it(hefei, other_official):
    with pytest.raises(NotFound):
        money.plan_set(participation=hefei, year=2021, planned="100", by=other_official)


def test_import_budget_loads_all_or_nothing_and_twice_changes_nothing(hefei, kunming, reviewer):
    good = csv_bytes(
        "city_code,year,planned",
        "340100,2020,30000000",
        "340100,2021,45000000.50",
        "530100,2022,10000000",
    )

    summary = money.budget_import(
        name="plan.csv", data=good, programme=hefei.programme, by=reviewer
    )
    again = money.budget_import(name="plan.csv", data=good, programme=hefei.programme, by=reviewer)

    assert (summary.created, again.created, again.unchanged) == (3, 0, 3)
    assert [(p.participation.city.code, p.year, p.planned) for p in SpendingPlan.objects.all()] == [
        ("340100", 2020, Decimal("30000000.00")),
        ("340100", 2021, Decimal("45000000.50")),
        ("530100", 2022, Decimal("10000000.00")),
    ]
    (record,) = SpendingPlan.objects.get(year=2020).history.all()
    assert record.history_change_reason == "import_budget plan.csv --programme 2020"


def test_a_bad_budget_file_names_every_bad_row_and_saves_nothing(hefei, reviewer):
    bad = csv_bytes(
        "city_code,year,planned",
        "340100,2020,30000000",
        "999999,2020,1",
        "340100,2019,1",
        "340100,twenty,1",
        "340100,2021,-5",
        "340100,2020,30000000",
    )

    with pytest.raises(ImportRefused) as refused:
        money.budget_import(name="plan.csv", data=bad, programme=hefei.programme, by=reviewer)

    assert [(e.line, e.column, e.code) for e in refused.value.errors] == [
        (3, "city_code", "invalid"),
        (4, "year", "not_a_construction_year"),
        (5, "year", "not_a_year"),
        (6, "planned", "negative"),
        (7, None, "invalid"),
    ]
    assert not SpendingPlan.objects.exists()


def test_a_plan_summing_to_zero_is_refused_at_the_load(hefei, reviewer):
    zero = csv_bytes("city_code,year,planned", "340100,2020,0", "340100,2021,0")

    with pytest.raises(ImportRefused) as refused:
        money.budget_import(name="plan.csv", data=zero, programme=hefei.programme, by=reviewer)

    assert [(e.line, e.code) for e in refused.value.errors] == [(2, "plan_sums_to_zero")]


def test_an_official_loads_no_budget_file(hefei, official):
    with pytest.raises(Forbidden):
        money.budget_import(
            name="plan.csv",
            data=csv_bytes("city_code,year,planned", "340100,2020,1"),
            programme=hefei.programme,
            by=official,
        )


# Expenditure: the workflow ---------------------------------------------------------------------


def entered(hefei, official, period: str = "2021-03", amount: str = "2500000.00", evidence="v1"):
    return money.expenditure_save(
        participation=hefei, period=P(period), amount=amount, evidence=evidence, by=official
    )


def test_expenditure_goes_from_draft_to_approved_and_back_with_its_history(
    hefei, official, reviewer
):
    draft = entered(hefei, official)
    submitted = money.expenditure_submit(expenditure=draft, by=official)
    approved = money.expenditure_approve(expenditure=submitted, by=reviewer)

    assert (draft.status, submitted.status, approved.status) == ("draft", "submitted", "approved")
    with pytest.raises(Locked) as locked:
        entered(hefei, official, amount="1.00")
    assert locked.value.errors[0].code == "expenditure_approved"

    reopened = money.expenditure_reopen(expenditure=approved, reason="wrong voucher", by=reviewer)
    assert (reopened.status, reopened.review_comment) == ("returned", "wrong voucher")
    corrected = entered(hefei, official, amount="2400000.00", evidence="voucher 12")
    assert (corrected.status, corrected.amount) == ("returned", Decimal("2400000.00"))
    history = [
        (h.history_user.username, h.history_change_reason, h.status)
        for h in Expenditure.history.filter(id=draft.pk).order_by("history_id")
    ]
    assert history == [
        ("li.wei", "expenditure entered", "draft"),
        ("li.wei", "submitted", "submitted"),
        ("reviewer", "approved", "approved"),
        ("reviewer", "reopen: wrong voucher", "returned"),
        ("li.wei", "expenditure changed", "returned"),
    ]


def test_a_return_needs_a_comment_and_submitting_needs_evidence(hefei, official, reviewer):
    bare = entered(hefei, official, evidence="")
    with pytest.raises(WorkflowError) as no_evidence:
        money.expenditure_submit(expenditure=bare, by=official)
    assert codes(no_evidence.value) == [("evidence", "evidence_required")]

    submitted = money.expenditure_submit(expenditure=entered(hefei, official), by=official)
    with pytest.raises(WorkflowError) as no_comment:
        money.expenditure_return(expenditure=submitted, comment="  ", by=reviewer)
    assert codes(no_comment.value) == [("comment", "comment_required")]
    assert Expenditure.objects.get(pk=submitted.pk).status == "submitted"


def test_an_expenditures_file_is_checked_on_its_content_and_kept_under_its_digest(hefei, official):
    disguised = SimpleUploadedFile("支付凭证.pdf", b"MZ\x90\x00 a program")
    with pytest.raises(WorkflowError) as refused:
        money.expenditure_save(
            participation=hefei,
            period=P("2021-03"),
            amount="1.00",
            evidence="voucher",
            evidence_file=disguised,
            by=official,
        )
    assert codes(refused.value) == [("evidence_file", "evidence_type")]
    assert not Expenditure.objects.exists()

    kept = money.expenditure_save(
        participation=hefei,
        period=P("2021-03"),
        amount="1.00",
        evidence="voucher",
        evidence_file=SimpleUploadedFile("支付凭证.pdf", b"%PDF-1.4 voucher"),
        by=official,
    )
    digest = hashlib.sha256(b"%PDF-1.4 voucher").hexdigest()
    assert kept.evidence_file.name.rsplit("/", 1)[1] == f"{digest[:12]}-支付凭证.pdf"
    with kept.evidence_file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 voucher"


def test_a_stale_change_is_refused_and_repeating_one_is_harmless(hefei, official):
    first = entered(hefei, official)
    changed = money.expenditure_save(
        participation=hefei,
        period=P("2021-03"),
        amount="1.00",
        evidence="v1",
        version=first.version,
        by=official,
    )
    with pytest.raises(WorkflowError) as stale:
        money.expenditure_save(
            participation=hefei,
            period=P("2021-03"),
            amount="2.00",
            evidence="v1",
            version=first.version,
            by=official,
        )
    assert codes(stale.value) == [("version", "stale_version")]
    same = money.expenditure_save(
        participation=hefei,
        period=P("2021-03"),
        amount="1.00",
        evidence="v1",
        version=first.version,
        by=official,
    )
    assert same.version == changed.version == 2


@pytest.mark.parametrize(
    ("period", "amount", "refused"),
    [
        ("2019", "1", [("period", "before_construction")]),
        ("2021", "1", [("period", "mixed_granularity")]),
        ("2021-04", "-3", [("amount", "negative")]),
        ("2021-04", "3.333", [("amount", "too_many_decimals")]),
    ],
)
def test_expenditure_follows_the_values_rules(hefei, official, period, amount, refused):
    entered(hefei, official, "2021-03")

    with pytest.raises(WorkflowError) as error:
        money.expenditure_save(
            participation=hefei, period=P(period), amount=amount, evidence="x", by=official
        )

    assert codes(error.value) == refused
    assert Expenditure.objects.count() == 1


def test_only_the_citys_officials_enter_it_and_only_reviewers_approve_it(
    hefei, official, other_official, reviewer
):
    with pytest.raises(NotFound):
        entered(hefei, other_official)
    with pytest.raises(Forbidden):
        entered(hefei, reviewer)
    submitted = money.expenditure_submit(expenditure=entered(hefei, official), by=official)
    with pytest.raises(Forbidden):
        money.expenditure_approve(expenditure=submitted, by=official)


def test_a_period_closed_by_a_finalised_evaluation_no_longer_changes(
    hefei, official, reviewer, django_capture_on_commit_callbacks
):
    meet_every_target(hefei.city)
    run = official_run(hefei.programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    finalise(run, by=reviewer_named("second_reviewer"))

    with pytest.raises(Locked) as closed:
        entered(hefei, official, "2021-06")
    with pytest.raises(Locked):
        money.plan_set(participation=hefei, year=2021, planned="100", by=official)

    assert closed.value.errors[0].code == "period_closed"
    assert entered(hefei, official, "2022-01").status == "draft"  # after the as-of date


# Expenditure: files ------------------------------------------------------------------------------


def test_import_expenditure_approves_audited_data_and_refuses_to_overtake_the_city(
    hefei, kunming, official, reviewer
):
    entered(hefei, official, "2021-07")
    header = "city_code,period,amount,evidence"

    loaded = money.expenditure_import(
        name="spent.csv",
        data=csv_bytes(header, "340100,2020,30000000,ledger 2020", "530100,2021-Q1,100.5,"),
        programme=hefei.programme,
        approve=True,
        by=reviewer,
    )
    with pytest.raises(ImportRefused) as refused:
        money.expenditure_import(
            name="again.csv",
            data=csv_bytes(header, "340100,2020,29000000,", "340100,2021-07,5,"),
            programme=hefei.programme,
            approve=False,
            by=reviewer,
        )

    assert loaded.created == 2
    spent = Expenditure.objects.get(participation=hefei, year=2020)
    assert (spent.status, spent.amount, spent.evidence) == (
        "approved",
        Decimal("30000000.00"),
        "ledger 2020",
    )
    assert [(e.line, e.code) for e in refused.value.errors] == [
        (2, "approved_changes_by_approved_load"),
        (3, "expenditure_with_the_city"),
    ]
    assert Expenditure.objects.get(participation=hefei, year=2020).amount == 30000000


def test_import_expenditure_without_approval_awaits_review(hefei, reviewer):
    data = csv_bytes("city_code,period,amount", "340100,2021-Q2,100")

    money.expenditure_import(
        name="spent.csv", data=data, programme=hefei.programme, approve=False, by=reviewer
    )
    again = money.expenditure_import(
        name="spent.csv", data=data, programme=hefei.programme, approve=False, by=reviewer
    )

    assert Expenditure.objects.get().status == "submitted"
    assert again.unchanged == 1


def test_the_city_loads_its_expenditure_template_into_drafts_all_or_nothing(hefei, official):
    header = "城市代码,期间,金额,佐证材料"
    good = csv_bytes(header, "340100,2021-01,100,v1", "340100,2021-02,200,v2")
    bad = csv_bytes(header, "340100,2021-03,300,v3", "530100,2021-04,1,v4", "340100,2021-05,x,")

    summary = money.expenditure_upload(participation=hefei, name="e.csv", data=good, by=official)
    with pytest.raises(ImportRefused) as refused:
        money.expenditure_upload(participation=hefei, name="e.csv", data=bad, by=official)

    assert summary.created == 2
    assert [(e.line, e.column, e.code) for e in refused.value.errors] == [
        (3, "city_code", "another_city"),
        (4, "amount", "not_a_number"),
    ]
    assert sorted(e.period.label for e in Expenditure.objects.all()) == ["2021-01", "2021-02"]
