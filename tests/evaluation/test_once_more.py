import pytest
from django.db import IntegrityError

from evaluation.services.races import once_more_after_a_race

pytestmark = pytest.mark.django_db


def test_a_refusal_that_is_no_race_is_raised_after_one_more_try():
    calls: list[int] = []

    @once_more_after_a_race
    def always_refused() -> None:
        calls.append(1)
        raise IntegrityError("a constraint the service did not check")

    with pytest.raises(IntegrityError):
        always_refused()
    assert len(calls) == 2


def test_a_race_lost_once_is_asked_again_and_its_answer_given():
    calls: list[int] = []

    @once_more_after_a_race
    def lost_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("inserted meanwhile")
        return "found"

    assert lost_once() == "found"
    assert len(calls) == 2


def test_an_evidence_file_is_read_from_its_start_each_time_it_is_checked():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.services.evidence import evidence_file_check

    upload = SimpleUploadedFile("c.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    first = evidence_file_check(upload, field="evidence_file")
    again = evidence_file_check(upload, field="evidence_file")
    assert again.content == first.content and again.sha256 == first.sha256


def test_a_race_seen_by_the_models_constraint_check_is_asked_again():
    from django.core.exceptions import ValidationError

    calls: list[int] = []

    @once_more_after_a_race
    def lost_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ValidationError("already exists", code="unique_together")
        return "found"

    assert lost_once() == "found"
