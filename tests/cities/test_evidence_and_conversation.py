"""Evidence on a report and its values, the report's conversation, and single values returned
to the city: the services' rules, the portal, the API and the admin, each with another city's
official and a signed-out visitor, and refusals that change nothing."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from evaluation.exceptions import Locked, WorkflowError
from evaluation.ledger import ledger_check
from evaluation.models import Evidence, LedgerEntry, MetricValue, Report, ReportComment
from evaluation.scoring import Period
from evaluation.selectors import report_changes_since_return
from evaluation.services import reporting
from evaluation.services.evidence import evidence_attach, evidence_remove
from tests.api.test_refusals_change_nothing import changed_tables, database_state
from tests.cities.conftest import browser
from tests.factories import complete

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
EXE = b"MZ\x90\x00" + b"\x00" * 60


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["合同", 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def submitted(official, participation, period="2021-03") -> Report:
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "7", "pledge_amount": "120"}),
        version=report.version,
        by=official,
    )
    return reporting.report_submit(report=report, version=None, by=official)


def draft(official, participation, period="2021-03") -> Report:
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    return reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "7", "pledge_amount": "120"}),
        version=report.version,
        by=official,
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# Services ------------------------------------------------------------------------------------


def test_files_on_a_value_and_on_the_report_are_typed_by_content_and_their_digests_kept(
    official_a, city_a
):
    report = draft(official_a, city_a)
    on_value = evidence_attach(
        report=report, indicator="pledge_projects", upload=upload("合同.pdf", PDF), by=official_a
    )
    # An Excel workbook is a ZIP inside: accepted for what its content is, whatever its name.
    on_report = evidence_attach(
        report=report, indicator=None, upload=upload("登记摘录.bin", xlsx_bytes()), by=official_a
    )
    assert (on_value.kind, on_value.value.indicator.code) == ("pdf", "pledge_projects")
    assert (on_report.kind, on_report.value) == ("xlsx", None)
    import hashlib

    assert on_value.sha256 == hashlib.sha256(PDF).hexdigest()
    assert on_value.file.read() == PDF
    # The digest is in the history row's reason and in the ledger, written with the file.
    assert on_value.sha256 in on_value.history.get().history_change_reason
    entry = LedgerEntry.objects.filter(subject="evidence", object_id=on_value.pk).get()
    assert on_value.sha256 in entry.state and entry.actor == official_a.pk
    assert ledger_check().holds


@pytest.mark.parametrize(
    ("name", "content", "limits", "code", "words"),
    [
        ("合同.pdf", EXE, {}, "evidence_type", "不是可接受的佐证材料类型"),
        ("说明.txt", b"plain words", {}, "evidence_type", "不是可接受的佐证材料类型"),
        ("合同.pdf", PDF * 40, {"EVIDENCE_MAX_FILE_MB": 0.001}, "evidence_too_large", "不得超过"),
        ("合同.pdf", PDF * 40, {"EVIDENCE_MAX_REPORT_MB": 0.001}, "evidence_report_full", "总共"),
        ("空.pdf", b"", {}, "evidence_empty", "空"),
    ],
)
def test_a_refused_file_changes_nothing_and_says_why_in_chinese(
    official_a, city_a, settings, media, name, content, limits, code, words
):
    report = draft(official_a, city_a)
    for setting, value in limits.items():
        setattr(settings, setting, value)
    before = database_state()
    with translation.override("zh-hans"), pytest.raises(WorkflowError) as refused:
        evidence_attach(
            report=report, indicator="pledge_projects", upload=upload(name, content), by=official_a
        )
    (error,) = refused.value.errors
    assert error.code == code and words in error.reason, error.reason
    assert changed_tables(before, database_state()) == []
    assert not (media / "evidence").exists()


def test_a_file_on_an_approved_value_cannot_be_removed(official_a, city_a, reviewer):
    report = draft(official_a, city_a)
    kept = evidence_attach(
        report=report, indicator="pledge_projects", upload=upload("a.pdf", PDF), by=official_a
    )
    report = reporting.report_submit(report=report, version=None, by=official_a)
    reporting.report_approve(report=report, by=reviewer)
    before = database_state()
    with pytest.raises(Locked) as refused:
        evidence_remove(evidence=kept, by=official_a)
    assert refused.value.errors[0].code == "evidence_value_approved"
    assert changed_tables(before, database_state()) == []


def test_a_file_removed_while_the_report_is_a_draft_stays_kept_with_its_digest(official_a, city_a):
    report = draft(official_a, city_a)
    kept = evidence_attach(
        report=report, indicator=None, upload=upload("a.png", PNG), by=official_a
    )
    removed = evidence_remove(evidence=kept, by=official_a)
    assert removed.removed_by == official_a and removed.file.read() == PNG
    assert [h.history_change_reason for h in removed.history.order_by("history_id")] == [
        f"evidence {kept.sha256} attached",
        f"evidence {kept.sha256} removed",
    ]
    assert ledger_check().holds


def test_another_citys_official_cannot_attach_or_remove(official_a, official_b, city_a):
    from evaluation.exceptions import NotFound

    report = draft(official_a, city_a)
    kept = evidence_attach(
        report=report, indicator=None, upload=upload("a.pdf", PDF), by=official_a
    )
    before = database_state()
    with pytest.raises(NotFound):
        evidence_attach(report=report, indicator=None, upload=upload("b.pdf", PDF), by=official_b)
    with pytest.raises(NotFound):
        evidence_remove(evidence=kept, by=official_b)
    assert changed_tables(before, database_state()) == []


# Single values returned, the conversation, the diff -------------------------------------------


def test_a_reviewer_returns_one_value_the_city_fixes_only_it_and_the_reviewer_sees_the_diff(
    official_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    official_a.email = "li.wei@shenyang.example.cn"
    official_a.save()
    report = submitted(official_a, city_a)
    with django_capture_on_commit_callbacks(execute=True):
        report = reporting.report_return_values(
            report=report,
            reasons={"pledge_projects": "项目数与登记系统不符"},
            comment="请核对",
            by=reviewer,
        )
    assert report.status == "returned"
    (email,) = mail.outbox
    assert "项目数与登记系统不符" in email.body and "pledge_projects" not in email.body
    thread = list(ReportComment.objects.filter(report=report))
    assert [(c.kind, c.author) for c in thread] == [("return", reviewer)]
    # The stored comment names the value in the programme's working language, Chinese.
    assert thread[0].text == "请核对\n知识产权质押融资项目数：项目数与登记系统不符"

    # The other values are not the city's to change now.
    before = database_state()
    with pytest.raises(Locked) as refused:
        reporting.report_values_set(
            report=report, values={"pledge_amount": "999"}, version=report.version, by=official_a
        )
    assert refused.value.errors[0].code == "value_not_returned"
    with pytest.raises(Locked):
        evidence_attach(
            report=report, indicator="pledge_amount", upload=upload("a.pdf", PDF), by=official_a
        )
    assert changed_tables(before, database_state()) == []

    report = reporting.report_values_set(
        report=report, values={"pledge_projects": "9"}, version=report.version, by=official_a
    )
    evidence_attach(
        report=report,
        indicator="pledge_projects",
        upload=upload("登记证明.pdf", PDF),
        by=official_a,
    )
    reporting.report_comment_add(report=report, text="已按登记系统更正为 9 项", by=official_a)
    report = reporting.report_submit(report=report, version=None, by=official_a)

    changes = report_changes_since_return(report=report)
    (first, *others) = changes.values
    assert (first.code, first.old, first.new) == ("pledge_projects", Decimal("7"), Decimal("9"))
    assert first.reason == "项目数与登记系统不符"
    assert [f.name for f in first.added] == ["登记证明.pdf"]
    assert not any(c.changed for c in others)
    assert MetricValue.objects.get(indicator__code="pledge_amount").value == Decimal("120")
    assert not report.value_returns.filter(resubmitted_at__isnull=True).exists()


def test_return_values_refuses_an_empty_reason_or_an_unknown_value_and_changes_nothing(
    official_a, city_a, reviewer
):
    report = submitted(official_a, city_a)
    before = database_state()
    for reasons, code in (
        ({"pledge_projects": "  "}, "reason_required"),
        ({"no_such": "x"}, "unknown_value"),
        ({}, "reason_required"),
    ):
        with pytest.raises(WorkflowError) as refused:
            reporting.report_return_values(report=report, reasons=reasons, by=reviewer)
        assert refused.value.errors[0].code == code
    from evaluation.exceptions import Forbidden

    with pytest.raises(Forbidden):  # an official may not return values
        reporting.report_return_values(
            report=report, reasons={"pledge_projects": "x"}, by=official_a
        )
    assert changed_tables(before, database_state()) == []


def test_the_conversation_reaches_each_side_by_email_with_author_and_time(
    official_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    official_a.email = "li.wei@shenyang.example.cn"
    official_a.save()
    reviewer.email = "wang.fang@cnipa.example.cn"
    reviewer.save()
    report = submitted(official_a, city_a)
    with django_capture_on_commit_callbacks(execute=True):
        reporting.report_return(report=report, comment="三月的数字偏低", by=reviewer)
        reporting.report_comment_add(report=report, text="三月有两笔延至四月", by=official_a)
        reporting.report_comment_add(report=report, text="请附登记证明", by=reviewer)
    kinds = list(ReportComment.objects.values_list("kind", flat=True))
    assert kinds == ["return", "reply", "note"]
    to_reviewer = [m for m in mail.outbox if reviewer.email in m.to]
    to_official = [m for m in mail.outbox if official_a.email in m.to]
    assert "三月有两笔延至四月" in to_reviewer[-1].body
    assert "请附登记证明" in to_official[-1].body
    # The email carries the whole conversation, each message with its author.
    assert "wang.fang" in to_official[-1].body and "三月的数字偏低" in to_official[-1].body


# The portal ---------------------------------------------------------------------------------


def test_the_official_attaches_on_the_period_page_and_downloads_it(
    portal_a, official_a, city_a, django_assert_max_num_queries
):
    draft(official_a, city_a)
    url = f"/city/{city_a.pk}/periods/2021-03/"
    sent = portal_a.post(
        f"{url}evidence/", {"indicator": "pledge_projects", "file": upload("合同.pdf", PDF)}
    )
    assert sent.status_code == 302
    evidence = Evidence.objects.get()
    with django_assert_max_num_queries(40):
        page = portal_a.get(url)
    assert "合同.pdf" in text(page) and f"/city/{city_a.pk}/evidence/{evidence.pk}/" in (
        page.content.decode()
    )
    got = portal_a.get(f"/city/{city_a.pk}/evidence/{evidence.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["Cache-Control"] == "private, no-store"


def test_a_refused_file_on_the_portal_says_why_in_chinese_and_changes_nothing(
    portal_a, official_a, city_a
):
    draft(official_a, city_a)
    portal_a.get(f"/city/{city_a.pk}/periods/2021-03/")  # the official's language, kept once
    before = database_state()
    page = portal_a.post(
        f"/city/{city_a.pk}/periods/2021-03/evidence/",
        {"indicator": "pledge_projects", "file": upload("合同.pdf", EXE)},
        follow=True,
    )
    assert "未附上" in text(page) and "不是可接受的佐证材料类型" in text(page)
    assert changed_tables(before, database_state()) == []


def test_another_citys_official_and_a_visitor_reach_no_file(
    portal_a, portal_b, anonymous, official_a, city_a
):
    report = draft(official_a, city_a)
    kept = evidence_attach(
        report=report, indicator=None, upload=upload("a.pdf", PDF), by=official_a
    )
    city_b_pk = portal_b.get("/city/").url.split("/")[2]
    portal_b.get(f"/city/{city_b_pk}/")  # the official's language, kept once
    before = database_state()
    for path in (
        f"/city/{city_a.pk}/evidence/{kept.pk}/",
        f"/city/{city_a.pk}/evidence/{kept.pk}/remove/",
        f"/city/{city_a.pk}/periods/2021-03/evidence/",
    ):
        assert portal_b.get(path).status_code in (404, 405)
        assert portal_b.post(path, {"file": upload("b.pdf", PDF)}).status_code == 404
        signed_out = anonymous.get(path)
        assert signed_out.status_code == 302 and signed_out["Location"].startswith("/?next=")
    # Nor through their own city's address.
    assert portal_b.get(f"/city/{city_b_pk}/evidence/{kept.pk}/").status_code == 404
    assert changed_tables(before, database_state()) == []


def test_the_portal_marks_the_returned_value_with_its_reason_and_shows_the_conversation(
    portal_a, official_a, city_a, reviewer
):
    report = submitted(official_a, city_a)
    reporting.report_return_values(
        report=report, reasons={"pledge_projects": "项目数与登记系统不符"}, by=reviewer
    )
    page = portal_a.get(f"/city/{city_a.pk}/periods/2021-03/")
    html = page.content.decode()
    assert 'id="row-pledge_projects" class="returned-value"' in html
    assert "退回：" in text(page) and "项目数与登记系统不符" in text(page)
    assert "与审核人员的沟通" in text(page)
    portal_a.post(f"/city/{city_a.pk}/periods/2021-03/", {"action": "answer", "answer": "已更正"})
    history = portal_a.get(f"/city/{city_a.pk}/history/?period=2021-03")
    assert "已更正" in text(history) and "项目数与登记系统不符" in text(history)


def test_while_single_values_are_returned_the_others_are_read_only_on_the_page_saying_why(
    portal_a, official_a, city_a, reviewer, django_assert_max_num_queries
):
    report = submitted(official_a, city_a)
    reporting.report_return_values(
        report=report, reasons={"pledge_projects": "项目数与登记系统不符"}, by=reviewer
    )
    url = f"/city/{city_a.pk}/periods/2021-03/"
    with django_assert_max_num_queries(40):
        page = portal_a.get(url)
    html = page.content.decode()
    returned = re.search(r'<input[^>]*id="id_pledge_projects"[^>]*>', html)
    kept = re.search(r'<input[^>]*id="id_pledge_amount"[^>]*>', html)
    assert returned is not None and kept is not None
    assert "readonly" not in returned.group(0) and "hx-post" in returned.group(0)
    assert "readonly" in kept.group(0) and "hx-post" not in kept.group(0)
    assert 'value="120.00"' in kept.group(0)
    why = "未退回给您：在审核人员再次收到报表之前保持提交时的数值。"
    assert why in text(page)
    assert 'id="locked-pledge_amount"' in html and 'id="locked-pledge_projects"' not in html
    # The note names the value returned in words; the kept value takes no file.
    assert "只有退回给您的数值可以修改：知识产权质押融资项目数。" in text(page)
    assert 'form="ev-pledge_amount"' not in html and 'form="ev-pledge_projects"' in html

    # The form as the page sends it (the read-only values as they are) saves the fix.
    fields = dict(re.findall(r'<input type="text" name="(\w+)" id="id_\w+" value="([^"]*)"', html))
    assert fields["pledge_amount"] == "120.00"
    fields |= {"pledge_projects": "9", "action": "save"}
    assert portal_a.post(url, fields).status_code == 302
    values = MetricValue.objects.filter(report=report)
    assert values.get(indicator__code="pledge_projects").value == Decimal("9")
    # Typed into the read-only field anyway: the server refuses and changes nothing.
    before = database_state()
    refused = portal_a.post(url, fields | {"pledge_amount": "999", "pledge_projects": "10"})
    assert refused.status_code == 400
    assert changed_tables(before, database_state()) == []

    # Submitted again and returned as a whole: every value is the city's to change again.
    report = reporting.report_submit(report=Report.objects.get(), version=None, by=official_a)
    reporting.report_return(report=report, comment="请全面核对", by=reviewer)
    html = portal_a.get(url).content.decode()
    assert "readonly" not in html and why not in text(portal_a.get(url))


def test_the_read_only_values_are_for_the_citys_own_official_only(
    official_a, official_b, city_a, reviewer
):
    report = submitted(official_a, city_a)
    reporting.report_return_values(
        report=report, reasons={"pledge_projects": "项目数与登记系统不符"}, by=reviewer
    )
    url = f"/city/{city_a.pk}/periods/2021-03/"
    assert browser(official_b).get(url).status_code == 404
    assert browser().get(url).status_code == 302


# The API --------------------------------------------------------------------------------------


def items(body):
    """A list's rows, paginated or not."""
    return body["results"] if isinstance(body, dict) and "results" in body else body


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_api_uploads_lists_downloads_and_removes_evidence(official_a, city_a):
    report = draft(official_a, city_a)
    client = api(official_a)
    made = client.post(
        "/api/v1/evidence/",
        {"report": report.pk, "indicator": "pledge_projects", "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["indicator"] == "pledge_projects" and body["kind"] == "pdf"
    listed = client.get(f"/api/v1/evidence/?report={report.pk}").json()
    assert [e["id"] for e in items(listed)] == [body["id"]]
    got = client.get(f"/api/v1/evidence/{body['id']}/download/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    removed = client.delete(f"/api/v1/evidence/{body['id']}/")
    assert removed.status_code == 200 and removed.json()["removed"] is True


def test_the_api_refuses_a_file_with_a_code_and_changes_nothing(official_a, city_a):
    report = draft(official_a, city_a)
    before = database_state()
    refused = api(official_a).post(
        "/api/v1/evidence/",
        {"report": report.pk, "file": upload("a.pdf", EXE)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "evidence_type"
    assert changed_tables(before, database_state()) == []


def test_the_api_keeps_other_cities_and_visitors_out(official_a, official_b, city_a, reviewer):
    report = submitted(official_a, city_a)
    reporting.report_return_values(report=report, reasons={"pledge_projects": "x"}, by=reviewer)
    evidence = evidence_attach(
        report=report, indicator="pledge_projects", upload=upload("a.pdf", PDF), by=official_a
    )
    before = database_state()
    for client, statuses in ((api(official_b), {404}), (api(), {401, 403})):
        assert client.get(f"/api/v1/evidence/{evidence.pk}/").status_code in statuses
        assert client.get(f"/api/v1/evidence/{evidence.pk}/download/").status_code in statuses
        assert client.delete(f"/api/v1/evidence/{evidence.pk}/").status_code in statuses
        assert client.get(f"/api/v1/reports/{report.pk}/comments/").status_code in statuses
        assert client.get(f"/api/v1/reports/{report.pk}/changes/").status_code in statuses
        posted = client.post(
            "/api/v1/evidence/",
            {"report": report.pk, "file": upload("b.pdf", PDF)},
            format="multipart",
        )
        assert posted.status_code in statuses
    assert items(api(official_b).get("/api/v1/evidence/").json()) == []
    assert changed_tables(before, database_state()) == []


def test_the_api_returns_values_and_carries_the_conversation_and_the_diff(
    official_a, city_a, reviewer
):
    report = submitted(official_a, city_a)
    back = api(reviewer).post(
        f"/api/v1/reports/{report.pk}/return-values/",
        {"reasons": {"pledge_projects": "与登记不符"}},
        format="json",
    )
    assert back.status_code == 200 and back.json()["status"] == "returned"
    replied = api(official_a).post(
        f"/api/v1/reports/{report.pk}/comments/", {"text": "已核对"}, format="json"
    )
    assert replied.status_code == 201 and replied.json()["kind"] == "reply"
    thread = api(reviewer).get(f"/api/v1/reports/{report.pk}/comments/").json()
    assert [m["kind"] for m in thread] == ["return", "reply"]
    api(official_a).put(
        f"/api/v1/reports/{report.pk}/values/",
        {"version": Report.objects.get().version, "values": {"pledge_projects": "8"}},
        format="json",
    )
    api(official_a).post(f"/api/v1/reports/{report.pk}/submit/", {}, format="json")
    changes = api(reviewer).get(f"/api/v1/reports/{report.pk}/changes/").json()
    first = changes["values"][0]
    assert (first["indicator"], first["old"], first["new"]) == ("pledge_projects", "7.00", "8.00")


# The admin ------------------------------------------------------------------------------------


def test_the_reviewer_reads_evidence_beside_each_value_returns_one_and_reads_the_diff(
    official_a, city_a, reviewer
):
    reviewer.is_staff = True
    reviewer.save()
    report = draft(official_a, city_a)
    evidence = evidence_attach(
        report=report, indicator="pledge_projects", upload=upload("合同.pdf", PDF), by=official_a
    )
    report = reporting.report_submit(report=report, version=None, by=official_a)
    admin = browser(reviewer)
    page = admin.get(f"/admin/evaluation/report/{report.pk}/change/")
    download = f"/admin/evaluation/report/{report.pk}/evidence/{evidence.pk}/"
    assert download in page.content.decode() and "合同.pdf" in page.content.decode()
    assert b"".join(admin.get(download).streaming_content) == PDF
    assert "退回单项数值…" in page.content.decode()

    form = admin.post(f"/admin/evaluation/report/{report.pk}/review/return_values/")
    assert "reason-pledge_projects" in form.content.decode()
    # Each value by its indicator's name and to its precision, not its code.
    assert '<label for="id_reason-pledge_projects">知识产权质押融资项目数' in form.content.decode()
    assert "<td>7 项</td>" in form.content.decode()
    done = admin.post(
        f"/admin/evaluation/report/{report.pk}/review/return_values/",
        {"apply": "1", "reason-pledge_projects": "项目数不符", "comment": ""},
    )
    assert done.status_code == 302
    assert Report.objects.get().status == "returned"
    said = text(admin.get(f"/admin/evaluation/report/{report.pk}/change/"))
    assert "已退回城市：知识产权质押融资项目数。" in said

    report = Report.objects.get()
    reporting.report_values_set(
        report=report, values={"pledge_projects": "9"}, version=report.version, by=official_a
    )
    reporting.report_comment_add(report=report, text="已更正", by=official_a)
    reporting.report_submit(report=report, version=None, by=official_a)
    page = admin.get(f"/admin/evaluation/report/{report.pk}/change/")
    shown = text(page)
    assert "项目数不符" in shown and "已更正" in shown
    assert re.search(r"知识产权质押融资项目数\S*\s+项目数不符\s+7 项\s+9 项", shown), shown

    noted = admin.post(f"/admin/evaluation/report/{report.pk}/note/", {"text": "收到"})
    assert noted.status_code == 302
    assert ReportComment.objects.filter(kind="note", text="收到").exists()


def test_the_admin_file_and_note_are_closed_to_officials_and_visitors(
    official_a, official_b, city_a
):
    report = draft(official_a, city_a)
    evidence = evidence_attach(
        report=report, indicator=None, upload=upload("a.pdf", PDF), by=official_a
    )
    clients = (browser(official_b), browser())
    before = database_state()
    for client in clients:
        got = client.get(f"/admin/evaluation/report/{report.pk}/evidence/{evidence.pk}/")
        assert got.status_code == 302 and got["Location"].startswith("/admin/login/")
        posted = client.post(f"/admin/evaluation/report/{report.pk}/note/", {"text": "x"})
        assert posted.status_code == 302 and posted["Location"].startswith("/admin/login/")
    assert changed_tables(before, database_state()) == []
