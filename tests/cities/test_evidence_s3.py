"""Evidence in an S3-compatible bucket, as in production: a real S3 endpoint (moto's server
mode, ``moto_server``, from this virtual environment) started for these tests and stopped by
its process id. The bucket is private: the file is reached only through the access-checked
download, which hands out a presigned link that expires. moto is a pinned development
requirement: without it these tests FAIL, they do not skip."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluation.models import Evidence
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.evidence import evidence_attach
from tests.cities.conftest import browser
from tests.factories import complete
from tests.ports import free_port

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUCKET = "evidence-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """``moto_server -p PORT``, started from this interpreter's environment and stopped by its
    pid when the module's tests are done."""
    server = Path(sys.executable).parent / "moto_server"
    if not server.exists():
        pytest.fail(f"moto_server is not installed in {server.parent} (requirements/dev.txt)")
    port = free_port()
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("moto_server exited at start")
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_LINK_SECONDS = 120
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": "private",
                "querystring_auth": True,
                "signature_version": "s3v4",
                "querystring_expire": 120,
                "file_overwrite": False,
            },
        },
    }
    return client


def _report(official, participation):
    report = reporting.report_create(
        participation=participation, period=Period.parse("2021-03"), by=official
    )
    return reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )


def test_evidence_goes_to_the_bucket_and_comes_back_by_a_short_lived_presigned_link(
    bucket, official_a, city_a, tmp_path
):
    report = _report(official_a, city_a)
    kept = evidence_attach(
        report=report,
        indicator="pledge_projects",
        upload=SimpleUploadedFile("合同.pdf", PDF),
        by=official_a,
    )
    stored = bucket.get_object(Bucket=BUCKET, Key=kept.file.name)["Body"].read()
    assert stored == PDF and not (tmp_path / "media").exists()

    # The bucket is private: the object's plain address is refused.
    plain = f"{bucket.meta.endpoint_url}/{BUCKET}/{kept.file.name}"
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(plain, timeout=5)
    assert denied.value.code == 403

    got = browser(official_a).get(f"/city/{city_a.pk}/evidence/{kept.pk}/")
    assert got.status_code == 302
    link = got["Location"]
    query = parse_qs(urlparse(link).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert urllib.request.urlopen(link, timeout=5).read() == PDF


def test_another_citys_official_and_a_visitor_get_no_link(bucket, official_a, official_b, city_a):
    report = _report(official_a, city_a)
    kept = evidence_attach(
        report=report, indicator=None, upload=SimpleUploadedFile("a.pdf", PDF), by=official_a
    )
    url = f"/city/{city_a.pk}/evidence/{kept.pk}/"
    assert browser(official_b).get(url).status_code == 404
    signed_out = browser().get(url)
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/?next=")
    assert Evidence.objects.count() == 1
