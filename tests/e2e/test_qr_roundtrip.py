"""Acceptance: the QR code printed on an issued certificate's PDF leads to a page that says "valid",
then "revoked" once the certificate is revoked, and "not genuine" when one character is changed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from certify.services.payload import verify_url
from tests.workflow import revoke_by_request

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed"),
]


def qr_text_of(pdf_path: str) -> str:
    """Rasterise the PDF at 150 dpi, as a phone camera or scanner would see it, and decode its QR."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["pdftoppm", "-r", "150", "-png", pdf_path, f"{out}/page"], check=True, timeout=60)
        pages = sorted(Path(out).glob("page*.png"))
        assert len(pages) == 1, "a certificate is one A4 page"
        with Image.open(pages[0]) as image:
            found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, "exactly one QR code on the certificate"
    return found[0].text


def ask(client, path: str) -> dict:
    return client.get(path, HTTP_ACCEPT="application/json").json()


def test_the_printed_qr_code_verifies_then_reports_revocation_and_rejects_a_changed_signature(client, world, issued):
    certificate = issued[0]
    text = qr_text_of(default_storage.path(certificate.pdf.name))

    assert text == verify_url(certificate)
    assert text.startswith(settings.SITE_URL + "/v/")
    path = text.removeprefix(settings.SITE_URL)

    page = client.get(path)
    assert page.status_code == 200 and "证书有效" in page.content.decode()
    assert ask(client, path)["result"] == "valid"

    revoke_by_request(world, certificate=certificate, category="fraud", reason="冒名顶替参加考核")
    revoked = ask(client, path)
    assert revoked["result"] == "revoked"
    assert revoked["certificate"]["reason_category"] == "fraud"
    assert "证书已撤销" in client.get(path).content.decode()

    start = path.index("s=") + 2
    position = start + 40
    changed = path[:position] + ("B" if path[position] != "B" else "C") + path[position + 1 :]
    unknown = f"/v/Y000044900004269999999?{path.split('?', 1)[1]}"
    assert ask(client, changed)["result"] == "not_found"
    assert (
        client.get(changed, HTTP_ACCEPT="application/json").content
        == client.get(unknown, HTTP_ACCEPT="application/json").content
    )
    assert "未查询到该证书或校验未通过" in client.get(changed).content.decode()
