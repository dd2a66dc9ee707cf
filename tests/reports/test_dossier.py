"""The evaluation dossier of a finalised run, checked as an outside evaluator checks it: the
package unzipped into an empty folder and its ``verify.py`` run by a plain ``python3 -I`` (no
project, no Django on its path: the folder holds only the package), which says "matches" on a
fresh package and names each difference on one whose files were altered."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reports.dossier import DossierRefused, dossier_files, dossier_zip
from tests.story import HEFEI, KUNMING, tell

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(programme, django_capture_on_commit_callbacks):
    return tell(programme, django_capture_on_commit_callbacks)


def unzip(content: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(folder)
    return folder


# A plain Python: the system's, else the one the project's environment was made from (never the
# environment itself, which has Django).
PYTHON = shutil.which("python3", path="/usr/bin:/bin:/usr/local/bin") or sys._base_executable


def run_verifier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python3 -I`` (isolated: no PYTHONPATH, no user site, not even the script's folder)
    from a folder outside the project."""
    return subprocess.run(
        [PYTHON, "-I", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )


def test_the_verifier_imports_only_the_standard_library_and_the_scoring_core():
    from tests.test_layout import ROOT, imported_modules

    imported = {m.split(".")[0] for m in imported_modules(ROOT / "reports" / "verify_dossier.py")}
    outside = {
        m
        for m in imported_modules(ROOT / "reports" / "verify_dossier.py")
        if m.split(".")[0] not in sys.stdlib_module_names
    }
    assert outside == {"evaluation.scoring", "evaluation.scoring.budget"}
    assert "django" not in imported


def test_a_fresh_dossier_matches_with_python_alone(story, tmp_path):
    folder = unzip(dossier_zip(story.run, language="en"), tmp_path / "dossier")

    # Nothing of the project and no Django in the folder the verifier runs from.
    assert not (folder / "manage.py").exists()
    assert sorted(p.name for p in (folder / "evaluation").iterdir()) == ["__init__.py", "scoring"]
    probe = run_verifier("-c", "import django", cwd=folder)
    assert probe.returncode != 0 and "No module named 'django'" in probe.stderr

    done = run_verifier("verify.py", cwd=folder)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "matches"
    assert lines[0].startswith(f"Dossier of run #{story.run.pk} · programme ")
    assert lines[1].startswith("cities: 2, indicator results: 20, input files: 3")


def test_the_zip_itself_is_verified_in_chinese_by_default(story, tmp_path):
    path = tmp_path / "dossier.zip"
    path.write_bytes(dossier_zip(story.run, language="zh-hans"))
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()

    # The ZIP runs itself, and verify.py taken out of it checks it too.
    itself = run_verifier(str(path), cwd=elsewhere)
    (elsewhere / "verify.py").write_bytes(zipfile.ZipFile(path).read("verify.py"))
    taken_out = run_verifier("verify.py", str(path), cwd=elsewhere)

    for done in (itself, taken_out):
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[-1] == "一致（matches）"
        assert f"评价档案：评价 #{story.run.pk} · 2020 批次" in done.stdout


def altered(folder: Path, name: str, change, *, manifest: bool = True) -> None:
    """Change one file of an unzipped package; with ``manifest``, write its new SHA-256 into the
    manifest too, as a careful forger would, so that only the other checks can find it."""
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    if manifest:
        listing = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        listing["files"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(listing), encoding="utf-8")


@pytest.fixture
def fresh(story, tmp_path):
    """A fresh unzipped copy of the story's dossier each time it is called (the run's story is
    told once: each alteration below is checked on its own copy)."""
    original = unzip(dossier_zip(story.run, language="en"), tmp_path / "original")
    copies = iter(range(1, 100))

    def copy() -> Path:
        return Path(shutil.copytree(original, tmp_path / f"copy{next(copies)}"))

    return copy


def verified(folder: Path) -> tuple[int, list[str]]:
    done = run_verifier("verify.py", cwd=folder)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, done.stdout.splitlines()


def _value(data: list[dict[str, Any]], city: str, indicator: str, period: str) -> dict[str, Any]:
    return next(
        r for r in data if (r["city"], r["indicator"], r["period"]) == (city, indicator, period)
    )


def _a_changed_value_is_named_by_digests_and_figures(package: Path, story) -> None:
    def change(rows):
        _value(rows, HEFEI, "transfer_licence_count", "2021")["value"] = "2500"

    altered(package, "inputs/values.json", change)

    status, lines = verified(package)

    assert status == 1
    hefei = [line for line in lines if line.startswith(f"city {HEFEI}: input digest: ")]
    assert hefei, lines
    assert any(line.startswith("run: input digest: in the package ") for line in lines)
    assert any(
        line.startswith(f"city {HEFEI}, indicator transfer_licence_count: final value: ")
        and line.endswith("recomputed 2500.00")
        for line in lines
    ), lines
    assert not any(line.startswith(f"city {KUNMING}") for line in lines)
    assert lines[-1].endswith("the package does not match")


def _a_changed_value_without_its_manifest_is_named_by_the_manifest(package: Path, story) -> None:
    def change(rows):
        _value(rows, HEFEI, "transfer_licence_count", "2021")["value"] = "2500"

    altered(package, "inputs/values.json", change, manifest=False)

    status, lines = verified(package)

    assert status == 1
    assert any(line.startswith("inputs/values.json: SHA-256: in the manifest ") for line in lines)


def _a_changed_result_is_named(package: Path, story) -> None:
    def change(results):
        city = next(c for c in results["cities"] if c["city"] == KUNMING)
        city["score"] = "99.00"
        city["decision"]["recommended_amount"] = "1.00"

    altered(package, "results.json", change)

    status, lines = verified(package)

    assert status == 1
    assert any(
        line.startswith(f"city {KUNMING}: score: in the package 99.00, recomputed ")
        for line in lines
    ), lines
    # The ledger recorded the recommendation: the changed one is named against it too.
    assert any(
        line.startswith(
            f"the decision for city {KUNMING}: recommended amount (yuan): in the ledger "
        )
        and line.endswith("in the package 1.00")
        for line in lines
    ), lines


def _a_changed_ledger_entry_is_named(package: Path, story) -> None:
    def change(ledger):
        entry = next(
            e
            for e in reversed(ledger["entries"])
            if e["subject"] == "decision" and e["object_id"] == story.overridden.pk
        )
        state = json.loads(entry["state"])
        state["final_amount"] = "45000000.00"
        entry["state"] = json.dumps(state, sort_keys=True, separators=(",", ":"))
        ledger["altered"] = entry["seq"]

    altered(package, "ledger.json", change)
    seq = json.loads((package / "ledger.json").read_text())["altered"]

    status, lines = verified(package)

    assert status == 1
    assert any(
        line.startswith(f"ledger entry #{seq} (decision #{story.overridden.pk}, ")
        and line.endswith("has been altered: its digest does not match what it records")
        for line in lines
    ), lines
    assert (
        f"the decision for city {KUNMING}: final amount (yuan): in the ledger 45000000.00, "
        "in the package 10000000.00" in lines
    )


def _a_removed_ledger_entry_breaks_the_chain(package: Path, story) -> None:
    def change(ledger):
        ledger["links"] = [link for link in ledger["links"] if link[0] != ledger["links"][1][0]]

    altered(package, "ledger.json", change)

    status, lines = verified(package)

    assert status == 1
    assert any(line.startswith("ledger entries #") and "are missing" in line for line in lines)


def test_each_alteration_of_a_package_is_named(fresh, story):
    """A value, a result, a ledger entry (changed or removed) and the ruleset, each changed on
    its own copy of one package."""
    for check in (
        _a_changed_value_is_named_by_digests_and_figures,
        _a_changed_value_without_its_manifest_is_named_by_the_manifest,
        _a_changed_result_is_named,
        _a_changed_ledger_entry_is_named,
        _a_removed_ledger_entry_breaks_the_chain,
        _a_changed_ruleset_is_named_against_its_ledger_entry,
    ):
        check(fresh(), story)
    # The original is untouched, and matches.
    status, lines = verified(fresh())
    assert (status, lines[-1]) == (0, "matches")


def test_dossiers_are_only_for_finalised_official_runs(story, django_assert_max_num_queries):
    with pytest.raises(DossierRefused):
        dossier_files(story.provisional, language="en")
    # A fixed number of queries, whatever the number of cities.
    with django_assert_max_num_queries(20):
        files = dossier_files(story.run, language="en")
    ledger = json.loads(files["ledger.json"])
    assert {e["subject"] for e in ledger["entries"]} == {"run", "decision", "ruleset"}


def _a_changed_ruleset_is_named_against_its_ledger_entry(package: Path, story) -> None:
    def change(ruleset):
        ruleset["ruleset"]["indicators"][0]["weight"] = "30.00"
        ruleset["ruleset"]["indicators"][1]["weight"] = "0.00"

    altered(package, "ruleset.json", change)

    status, lines = verified(package)

    assert status == 1
    assert any(line.startswith("ruleset: indicator rules: in the ledger ") for line in lines)


# A run with the optional parts: money planned and spent (with an evidence file), the tasks and
# the panel's scores; and a rectification item answered with a file. -----------------------------


@pytest.fixture
def parts_run(programme, shenzhen, reviewer, signer, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.models import OfficialAssignment, RectificationItem
    from evaluation.scoring import Period
    from evaluation.services import money, panel, rectification
    from tests.factories import UserFactory
    from tests.parts import expert, finalise, official_run, ruleset_with_parts

    ruleset_with_parts(programme)
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)
    panel.task_choices_set(participation=shenzhen, tasks=["fund"], by=official)
    for n, score in enumerate(["0.90", "0.90", "0.80", "0.70", "0.60"], start=1):
        panel.task_score_set(
            participation=shenzhen,
            task="platform",
            score=score,
            comment="",
            by=expert(f"expert{n}", shenzhen),
        )
    money.plan_set(participation=shenzhen, year=2020, planned="10000000", by=None)
    spent = money.expenditure_save(
        participation=shenzhen,
        period=Period.parse("2020"),
        amount="5000000",
        evidence="payment orders",
        evidence_file=SimpleUploadedFile("orders.pdf", b"%PDF-1.4 the payment orders"),
        by=official,
    )
    money.expenditure_approve(
        expenditure=money.expenditure_submit(expenditure=spent, by=official), by=reviewer
    )
    run = finalise(
        official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks),
        by=signer,
    )
    item = RectificationItem.objects.filter(city_result__run=run).first()
    assert item is not None
    rectification.rectification_answer(
        item=item,
        measures="a new platform team",
        evidence_note="the team's appointment",
        evidence=SimpleUploadedFile("team.pdf", b"%PDF-1.4 the appointment"),
        by=official,
    )
    return run


@pytest.fixture
def parts_fresh(parts_run, tmp_path):
    """A fresh unzipped copy of the run's dossier each time it is called."""
    original = unzip(dossier_zip(parts_run, language="en"), tmp_path / "original")
    copies = iter(range(1, 100))

    def copy() -> Path:
        return Path(shutil.copytree(original, tmp_path / f"copy{next(copies)}"))

    return copy


def test_a_run_with_every_part_matches_and_lists_its_evidence(parts_fresh, settings):
    parts_package = parts_fresh()
    manifest = json.loads((parts_package / "manifest.json").read_text())
    evidence = json.loads((parts_package / "evidence.json").read_text())

    assert sorted(manifest["inputs"]) == [
        "cities",
        "expenditure",
        "plan",
        "targets",
        "task_choices",
        "task_scores",
        "values",
    ]
    assert [(e["kind"], e["sha256"]) for e in evidence] == [
        ("expenditure", hashlib.sha256(b"%PDF-1.4 the payment orders").hexdigest()),
        ("rectification", hashlib.sha256(b"%PDF-1.4 the appointment").hexdigest()),
    ]
    done = run_verifier("verify.py", "--evidence", str(settings.MEDIA_ROOT), cwd=parts_package)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 evidence file(s) checked against" in done.stdout
    assert done.stdout.splitlines()[-1] == "matches"


def _a_changed_expenditure_is_named(parts_package: Path, settings) -> None:
    def change(rows):
        rows[0]["amount"] = "9000000.00"

    altered(parts_package, "inputs/expenditure.json", change)

    status, lines = verified(parts_package)

    assert status == 1
    assert any(line.startswith("city 440300: input digest: ") for line in lines)
    assert any(
        line.startswith("city 440300, indicator budget_execution: final value: in the package ")
        and line.endswith("recomputed 9000000.00")
        for line in lines
    ), lines


def _a_changed_evidence_hash_is_named(parts_package: Path, settings) -> None:
    forged = "0" * 64

    def change(rows):
        for row in rows:
            row["sha256"] = forged

    # Without the manifest: the manifest names the file.
    altered(parts_package, "evidence.json", change, manifest=False)
    status, lines = verified(parts_package)
    assert status == 1
    assert any(line.startswith("evidence.json: SHA-256: in the manifest ") for line in lines)

    # With the manifest rewritten too: the digest the city's file had when it was sent names
    # the rectification's; the files kept by the ministry name both.
    altered(parts_package, "evidence.json", lambda rows: None)
    status, lines = verified(parts_package)
    assert status == 1
    assert any(
        line.startswith("evidence rectification #")
        and f"SHA-256: recorded when sent {hashlib.sha256(b'%PDF-1.4 the appointment').hexdigest()}"
        in line
        for line in lines
    ), lines
    done = run_verifier("verify.py", "--evidence", str(settings.MEDIA_ROOT), cwd=parts_package)
    assert done.returncode == 1
    named = [line for line in done.stdout.splitlines() if f"in the package {forged}" in line]
    assert [line.split(" #")[0] for line in named] == [
        "evidence expenditure",
        "evidence rectification",
    ], done.stdout


def _a_changed_evidence_file_is_named(parts_package: Path, settings) -> None:
    kept = json.loads((parts_package / "evidence.json").read_text())[0]["file"]
    (Path(settings.MEDIA_ROOT) / kept).write_bytes(b"%PDF-1.4 other orders")

    done = run_verifier("verify.py", "--evidence", str(settings.MEDIA_ROOT), cwd=parts_package)

    assert done.returncode == 1
    assert any(
        line.startswith("evidence expenditure #") and f"({kept}): SHA-256: in the package " in line
        for line in done.stdout.splitlines()
    ), done.stdout


def test_each_alteration_of_a_package_with_every_part_is_named(parts_fresh, settings):
    for check in (
        _a_changed_expenditure_is_named,
        _a_changed_evidence_hash_is_named,
        _a_changed_evidence_file_is_named,
    ):
        check(parts_fresh(), settings)


# Who may download it, and the command ---------------------------------------------------------


def _client(user=None, language: str = "zh-hans"):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def test_a_reviewer_downloads_the_dossier_from_the_run_page_in_chinese(story, tmp_path):
    from reports.models import Document

    client = _client(story.signer)
    page = client.get(f"/admin/evaluation/evaluationrun/{story.run.pk}/change/")
    link = f"/reports/runs/{story.run.pk}/dossier.zip"
    assert link in page.content.decode()
    assert "评价档案（ZIP）" in page.content.decode()

    response = client.get(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)
    kept = Document.objects.get(run=story.run, kind=Document.Kind.DOSSIER)
    assert response["X-Document-SHA256"] == kept.sha256 == hashlib.sha256(content).hexdigest()
    assert f'filename="2020-run{story.run.pk}-dossier.zip"' in response["Content-Disposition"]
    path = tmp_path / "dossier.zip"
    path.write_bytes(content)
    done = run_verifier(str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "一致（matches）"

    # Asked again: the same kept file.
    again = client.get(link)
    assert b"".join(again.streaming_content) == content


def test_no_one_else_gets_the_dossier(story):
    from tests.parts import expert

    link = f"/reports/runs/{story.run.pk}/dossier.zip"
    assert _client(story.official).get(link).status_code == 404
    assert _client(expert("expert1", story.kunming)).get(link).status_code == 404
    signed_out = _client().get(link)
    # Signed out: to the sign-in page, which leads back here.
    assert signed_out.status_code == 302 and signed_out["Location"].endswith(f"?next={link}")
    # Nor is there one of a provisional run, or of an unknown one.
    reviewer = _client(story.reviewer)
    assert reviewer.get(f"/reports/runs/{story.provisional.pk}/dossier.zip").status_code == 404
    assert reviewer.get("/reports/runs/999999/dossier.zip").status_code == 404
    # The official's portal does not show its link either.
    page = _client(story.official).get(f"/admin/evaluation/evaluationrun/{story.run.pk}/change/")
    assert link not in page.content.decode()


def test_the_command_writes_the_dossier_in_chinese(story, tmp_path):
    from django.core.management import CommandError, call_command
    from django.utils import translation

    out = io.StringIO()
    path = tmp_path / "out.zip"
    with translation.override("zh-hans"):
        call_command("dossier", str(story.run.pk), "--out", str(path), stdout=out)
        with pytest.raises(CommandError) as refused:
            call_command("dossier", str(story.provisional.pk), stdout=io.StringIO())

    assert f"评价 #{story.run.pk} 的评价档案已写入 {path}" in out.getvalue()
    assert "python3" in out.getvalue()
    assert "只有" in str(refused.value)
    done = run_verifier(str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "一致（matches）"


def test_a_run_that_read_verified_values_carries_them_and_a_changed_one_is_named(
    programme, django_capture_on_commit_callbacks, tmp_path
):
    """The spot checks' verified values are an input of the run: the dossier carries the ones
    the run read, the verifier scores with them (the deduction included) and names a changed
    one."""
    from decimal import Decimal

    from evaluation.services.checks import spot_check_draw, spot_check_record
    from tests.checks import checker_named, hefei, ruleset_with_checks
    from tests.parts import finalise, official_run, reviewer_named

    hefei(programme)
    ruleset_with_checks(programme, deduction="2")
    reviewer, checker = reviewer_named("lin.reviewer"), checker_named("zhao.checker")
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    item = check.items.get(
        metric_value__indicator__code="sme_transformations", metric_value__year=2021
    )
    spot_check_record(item=item, verified_value="15", by=checker)
    run = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    assert run.status == "succeeded", run.error
    finalise(run, by=reviewer_named("second.reviewer"))

    folder = unzip(dossier_zip(run, language="en"), tmp_path / "checked")
    rows = json.loads((folder / "inputs" / "verified_values.json").read_text(encoding="utf-8"))
    sme = [r for r in rows if r["indicator"] == "sme_transformations" and r["period"] == "2021"]
    assert [(Decimal(r["claimed"]), Decimal(r["verified"])) for r in sme] == [
        (Decimal("25"), Decimal("15"))
    ]
    status, lines = verified(folder)
    assert (status, lines[-1]) == (0, "matches"), lines

    copy = Path(shutil.copytree(folder, tmp_path / "forged"))

    def change(data: list[dict[str, Any]]) -> None:
        for row in data:
            if row["indicator"] == "sme_transformations" and row["period"] == "2021":
                row["verified"] = "25"

    altered(copy, "inputs/verified_values.json", change)
    status, lines = verified(copy)
    assert status == 1
    assert lines[-1] != "matches"
    assert any("sme_transformations" in line for line in lines), lines
