"""The ministry's spot checks: the sample drawn (a share per city, weighted towards the values
carrying the most points, reproducible from its seed), the checker's verified values, the file
of verified values, and what a run makes of them (the verified-values rule, its digest,
``verify_run``, the ledger)."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluation.exceptions import Forbidden, ImportRefused, Locked, WorkflowError
from evaluation.ledger import ledger_check
from evaluation.models import IndicatorResult, LedgerEntry, SpotCheck, SpotCheckItem
from evaluation.services.checks import (
    draw_candidates,
    draw_sample,
    spot_check_draw,
    spot_check_record,
    spot_checks_import,
)
from reports.verification import run_verify
from tests.checks import checker_named, hefei, ruleset_with_checks
from tests.conftest import csv_bytes
from tests.factories import CityFactory, ParticipationFactory, UserFactory, add_value
from tests.parts import official_run, reviewer_named

pytestmark = pytest.mark.django_db


def _sme(run) -> IndicatorResult:
    return IndicatorResult.objects.get(city_result__run=run, indicator__code="sme_transformations")


def test_a_sample_takes_a_share_of_each_city_and_the_same_seed_draws_the_same(programme):
    hefei(programme)
    other = ParticipationFactory(programme=programme, city=CityFactory(code="210100"))
    for month in range(1, 13):
        add_value(other.city, "certified_entities", f"2021-{month:02d}", str(month))
    reviewer = reviewer_named("lin.reviewer")
    first = spot_check_draw(programme=programme, share=Decimal("0.25"), seed="abc", by=reviewer)
    again = spot_check_draw(programme=programme, share=Decimal("0.25"), seed="abc", by=reviewer)

    def drawn(check: SpotCheck) -> list[int]:
        return sorted(check.items.values_list("metric_value_id", flat=True))

    # Hefei: 4 values, a quarter is 1; Shenyang: 12 values, 3.
    assert first.items.filter(metric_value__city__code="340100").count() == 1
    assert first.items.filter(metric_value__city__code="210100").count() == 3
    assert drawn(first) == drawn(again)
    assert first.seed == "abc" and first.share == Decimal("0.25")
    # No seed given: one is made and recorded, and drawing with it again gives the same.
    fresh = spot_check_draw(programme=programme, share=Decimal("0.25"), by=reviewer)
    assert fresh.seed
    replay = spot_check_draw(
        programme=programme, share=Decimal("0.25"), seed=fresh.seed, by=reviewer
    )
    assert drawn(fresh) == drawn(replay)


def test_the_values_carrying_the_most_points_are_drawn_most_often(programme):
    city = ParticipationFactory(programme=programme, city=CityFactory(code="210100")).city
    # certified_entities weighs 15: 2021-12 carries 15 x 900/1000 = 13.5 points, each other
    # month about 0.1.
    for month in range(1, 12):
        add_value(city, "certified_entities", f"2021-{month:02d}", "9.09")
    big = add_value(city, "certified_entities", "2021-12", "900")
    candidates = draw_candidates(programme=programme)
    assert max(candidates["210100"], key=lambda c: c.points).value == big
    hits = sum(
        big in [c.value for c in draw_sample(candidates, share=Decimal("0.1"), seed=str(seed))]
        for seed in range(100)
    )
    # Drawn with probability 13.5 / 15 or more each time (2 of 12 drawn), against 1/6 unweighted.
    assert hits >= 85


def test_only_reviewers_draw_and_only_checkers_record(programme):
    participation = hefei(programme)
    official = UserFactory(username="hefei.official")
    participation.officials.create(user=official)
    with pytest.raises(Forbidden):
        spot_check_draw(programme=programme, share=Decimal("0.5"), by=official)
    reviewer = reviewer_named("lin.reviewer")
    check = spot_check_draw(programme=programme, share=Decimal("0.5"), seed="s", by=reviewer)
    item = check.items.first()
    for who in (official, reviewer):
        with pytest.raises(Forbidden):
            spot_check_record(item=item, verified_value="1", by=who)
    with pytest.raises(WorkflowError) as refused:
        spot_check_draw(programme=programme, share=Decimal("1.5"), by=reviewer)
    assert refused.value.errors[0].field == "share"


def test_a_checker_records_a_verified_value_with_its_note_and_history(programme):
    hefei(programme)
    reviewer, checker = reviewer_named("lin.reviewer"), checker_named("zhao.checker")
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    item = check.items.get(
        metric_value__indicator__code="sme_transformations", metric_value__year=2021
    )
    with pytest.raises(WorkflowError) as refused:
        spot_check_record(item=item, verified_value="-3", by=checker)
    assert refused.value.errors[0].field == "verified_value"
    # A file is read by its content, whatever its name says: a program named as a PDF.
    with pytest.raises(WorkflowError) as disguised:
        spot_check_record(
            item=item,
            verified_value="15",
            evidence=SimpleUploadedFile("核查记录.pdf", b"MZ\x90\x00 a program"),
            by=checker,
        )
    assert [(e.field, e.code) for e in disguised.value.errors] == [
        ("evidence_file", "evidence_type")
    ]
    item.refresh_from_db()
    assert item.verified_value is None and not item.evidence_file
    spot_check_record(
        item=item,
        verified_value="15",
        note="contracts for 15 only",
        evidence=SimpleUploadedFile("核查记录.pdf", b"%PDF-1.4 checked"),
        by=checker,
    )
    item.refresh_from_db()
    assert item.evidence_name == "核查记录.pdf"
    assert item.evidence_sha256 == hashlib.sha256(b"%PDF-1.4 checked").hexdigest()
    assert item.evidence_file.name.rsplit("/", 1)[1] == f"{item.evidence_sha256[:12]}-核查记录.pdf"
    assert (item.verified_value, item.checker, item.note) == (
        Decimal("15.00"),
        checker,
        "contracts for 15 only",
    )
    assert item.history.first().history_user == checker
    assert LedgerEntry.objects.filter(subject="verifiedvalue", object_id=item.pk).exists()


def test_a_discrepancy_changes_the_points_and_verify_run_covers_it(
    programme, django_capture_on_commit_callbacks
):
    hefei(programme)
    ruleset_with_checks(programme, deduction="2")
    reviewer, checker = reviewer_named("lin.reviewer"), checker_named("zhao.checker")
    before = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    assert _sme(before).points == Decimal("12.38")
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    item = check.items.get(
        metric_value__indicator__code="sme_transformations", metric_value__year=2021
    )
    spot_check_record(item=item, verified_value="15", by=checker)
    run = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    sme = _sme(run)
    # C = 30 + 15 = 45 of 66.67: r = 0.675, 10.125 -> 10.13, less 2: 8.13.
    assert (sme.points, sme.deducted, sme.discrepancy) == (Decimal("8.13"), Decimal("2.00"), True)
    assert sme.checks == [{"period": "2021", "claimed": "25", "verified": "15", "stands": False}]
    assert run.input_digest != before.input_digest
    assert run_verify(run=run).matches
    # A verified value recorded after the run is not what the run read: it still verifies.
    later = spot_check_draw(programme=programme, share=Decimal("1"), seed="t", by=reviewer)
    spot_check_record(
        item=later.items.get(metric_value=item.metric_value), verified_value="5", by=checker
    )
    assert run_verify(run=run).matches
    # The value the run read is locked; the later check supersedes it for the next run.
    with pytest.raises(Locked):
        spot_check_record(item=item, verified_value="20", by=checker)
    # (The factory's values are written around the services; the checks are not.)
    assert not [f for f in ledger_check().findings if f.subject == "verifiedvalue"]


def test_verify_run_finds_a_verified_value_changed_behind_the_services_back(
    programme, django_capture_on_commit_callbacks
):
    hefei(programme)
    ruleset_with_checks(programme)
    reviewer, checker = reviewer_named("lin.reviewer"), checker_named("zhao.checker")
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    item = check.items.get(
        metric_value__indicator__code="sme_transformations", metric_value__year=2021
    )
    spot_check_record(item=item, verified_value="15", by=checker)
    run = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    SpotCheckItem.objects.filter(pk=item.pk).update(verified_value=Decimal(25))
    verification = run_verify(run=run)
    assert not verification.matches
    assert ("sme_transformations", "checks") in {
        (d.indicator, d.what) for d in verification.differences
    }
    assert [f.object_id for f in ledger_check().findings if f.subject == "verifiedvalue"] == [
        item.pk
    ]


def test_a_ruleset_without_the_part_ignores_spot_checks(
    programme, django_capture_on_commit_callbacks
):
    hefei(programme)
    reviewer, checker = reviewer_named("lin.reviewer"), checker_named("zhao.checker")
    before = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    for item in check.items.all():
        spot_check_record(item=item, verified_value="0", by=checker)
    after = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    assert after.input_digest == before.input_digest
    assert after.result_digest == before.result_digest


FILE_HEADER = "city_code,period,indicator,verified_value"


def test_import_spot_checks_loads_once_and_a_second_load_changes_nothing(
    programme, tmp_path, django_capture_on_commit_callbacks
):
    hefei(programme)
    ruleset_with_checks(programme, deduction="0")
    path = tmp_path / "checks.csv"
    path.write_bytes(
        csv_bytes(
            FILE_HEADER,
            "340100,2021,sme_transformations,15",
            "340100,2019,transfer_licence_count,1000",
        )
    )
    out = io.StringIO()
    call_command("import_spot_checks", str(path), "--programme", "2020", stdout=out)
    assert "2 created" in out.getvalue()
    assert SpotCheck.objects.get().source == SpotCheck.Source.FILE
    out = io.StringIO()
    call_command("import_spot_checks", str(path), "--programme", "2020", stdout=out)
    assert "2 unchanged" in out.getvalue()
    assert SpotCheckItem.objects.count() == 2
    run = official_run(
        programme, by=reviewer_named("lin.reviewer"), capture=django_capture_on_commit_callbacks
    )
    # 45 of 66.67 with no deduction: 10.13.
    assert _sme(run).points == Decimal("10.13")


def test_a_refused_file_names_every_bad_line_and_changes_nothing(programme):
    hefei(programme)
    data = csv_bytes(
        FILE_HEADER,
        "340100,2021,sme_transformations,15",
        "340100,2021-03,sme_transformations,4",  # no reported value of 2021-03
        "340100,2021,sme_transformations,-1",
        "999999,2021,sme_transformations,1",
        "340100,2021-13,sme_transformations,1",
    )
    with pytest.raises(ImportRefused) as refused:
        spot_checks_import(name="checks.csv", data=data, programme=programme, by=None)
    lines = {(e.line, e.column) for e in refused.value.errors}
    assert {(3, "period"), (4, "verified_value"), (5, "city_code"), (6, "period")} <= lines
    assert any(e.code == "no_reported_value" for e in refused.value.errors)
    assert (SpotCheck.objects.count(), SpotCheckItem.objects.count()) == (0, 0)


def test_the_command_prints_the_lines_and_exits_non_zero(programme, tmp_path):
    hefei(programme)
    path = tmp_path / "checks.csv"
    path.write_bytes(csv_bytes(FILE_HEADER, "340100,2020-07,sme_transformations,1"))
    with pytest.raises(CommandError) as refused:
        call_command("import_spot_checks", str(path), "--programme", "2020")
    assert "line 2" in str(refused.value)
    assert SpotCheckItem.objects.count() == 0


def test_a_check_of_a_value_not_approved_changes_and_marks_nothing(
    programme, django_capture_on_commit_callbacks
):
    participation = hefei(programme)
    add_value(participation.city, "certified_entities", "2021", "100", approved=False)
    ruleset_with_checks(programme, deduction="5")
    spot_checks_import(
        name="checks.csv",
        data=csv_bytes(FILE_HEADER, "340100,2021,certified_entities,0"),
        programme=programme,
        by=None,
    )
    run = official_run(
        programme, by=reviewer_named("lin.reviewer"), capture=django_capture_on_commit_callbacks
    )
    certified = IndicatorResult.objects.get(
        city_result__run=run, indicator__code="certified_entities"
    )
    assert (certified.status, certified.checks, certified.deducted) == (
        "not_assessable",
        [],
        Decimal(0),
    )


def test_the_admin_names_who_drew_and_who_checked_by_their_names(programme, client):
    """People by their names on the reviewers' pages, not their logins."""
    hefei(programme)
    reviewer, checker = reviewer_named("lin.reviewer"), checker_named("zhao.checker")
    reviewer.first_name, checker.first_name = "林审", "赵核"
    reviewer.save()
    checker.save()
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    item = check.items.order_by("pk").first()
    spot_check_record(item=item, verified_value="15", by=checker)
    client.force_login(reviewer)

    listed = client.get("/admin/evaluation/spotcheck/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get(f"/admin/evaluation/spotcheck/{check.pk}/change/").content.decode()

    assert "林审" in listed.content.decode() and "lin.reviewer" not in listed.content.decode()
    assert "林审" in page and "赵核" in page
    assert "lin.reviewer" not in page and "zhao.checker" not in page
