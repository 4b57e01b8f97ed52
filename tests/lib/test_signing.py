"""Signing key rings, the canonical certificate payload and the signing_keys command. No database."""

import base64
import datetime as dt
import json
import stat
import threading
import unicodedata
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command

from audit.keys import audit_keyring
from certify.keys import certificate_keyring
from lib.keyring import KeyRing, KeyRingError, b64url_decode, b64url_encode
from lib.payload import certificate_payload

FIELDS = {
    "number": "Y000044001234263000017",
    "holder_name": "张三丰",
    "id_type": "居民身份证",
    "id_number": "44190019900307123X",
    "occupation": "车工",
    "work_type": "",
    "level_wording": "三级/高级工",
    "organization_name": "东莞市华科精密制造有限公司",
    "issue_date": dt.date(2026, 3, 15),
}

# The example printed in certificate_payload's docstring, byte for byte.
DOCUMENTED_EXAMPLE = (
    '{"holder_name":"张三丰","id_number":"44190019900307123X","id_type":"居民身份证",'
    '"issue_date":"2026-03-15","level_wording":"三级/高级工","number":"Y000044001234263000017",'
    '"occupation":"车工","organization_name":"东莞市华科精密制造有限公司","v":1,"work_type":"--"}'
).encode()


@pytest.fixture
def ring(tmp_path):
    return KeyRing(tmp_path / "keys" / "certificate", purpose="certificate")


@pytest.fixture
def payload():
    return certificate_payload(**FIELDS)


def private_material(directory):
    """Every private key of a ring in the forms a leak could take: PEM header, raw bytes as b64/b64url/hex."""
    forms = ["PRIVATE KEY"]
    for pem in directory.glob("*.pem"):
        key = serialization.load_pem_private_key(pem.read_bytes(), password=None)
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        forms += [b64url_encode(raw), base64.b64encode(raw).decode()[:40], raw.hex()]
    return forms


# --- base64url ----------------------------------------------------------------------------------


@pytest.mark.parametrize("length", range(8))
def test_b64url_round_trips_every_remainder_length_without_padding(length):
    data = bytes(range(250, 250 - length, -1))
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data


def test_b64url_decode_tolerates_missing_and_present_padding():
    assert b64url_decode("_-8") == b"\xff\xef"
    assert b64url_decode("_-8=") == b"\xff\xef"


@pytest.mark.parametrize(
    "junk", ["!!!!", "abc*", "A", "abcde", "ab+/", "ab/c", "证书", "AB==", "AB===", "_-8==", " AAA"]
)
def test_b64url_decode_raises_value_error_on_junk(junk):
    with pytest.raises(ValueError):
        b64url_decode(junk)


def test_b64url_decode_refuses_a_non_canonical_text_for_the_same_bytes():
    # "AA" and "AB" would both decode to b"\x00"; only "AA" is accepted.
    assert b64url_decode("AA") == b"\x00"
    with pytest.raises(ValueError):
        b64url_decode("AB")


# --- signing and verifying ----------------------------------------------------------------------


def test_it_signs_and_verifies_a_payload(ring, payload):
    ring.create()
    kid, signature = ring.sign(payload)
    assert kid == ring.active_kid()
    assert len(signature) == 86
    assert ring.verify(kid=kid, payload=payload, signature=signature) is True


def test_the_published_public_key_alone_verifies_a_signature_offline(ring, payload):
    ring.create()
    kid, signature = ring.sign(payload)
    published = {key["kid"]: key for key in ring.public_keys()}[kid]
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(published["public_key"]))
    public.verify(b64url_decode(signature), payload)  # raises if invalid


def test_it_rejects_a_payload_with_any_one_byte_changed(ring, payload):
    ring.create()
    kid, signature = ring.sign(payload)
    for index in range(len(payload)):
        altered = bytearray(payload)
        altered[index] ^= 0x01
        assert ring.verify(kid=kid, payload=bytes(altered), signature=signature) is False


def test_it_rejects_a_signature_with_any_one_byte_changed(ring, payload):
    ring.create()
    kid, signature = ring.sign(payload)
    raw = b64url_decode(signature)
    for index in range(len(raw)):
        altered = bytearray(raw)
        altered[index] ^= 0x80
        assert ring.verify(kid=kid, payload=payload, signature=b64url_encode(bytes(altered))) is False


def test_it_rejects_a_signature_with_any_one_character_changed(ring, payload):
    ring.create()
    kid, signature = ring.sign(payload)
    for index, char in enumerate(signature):
        replacement = "A" if char != "A" else "B"
        altered = signature[:index] + replacement + signature[index + 1 :]
        assert ring.verify(kid=kid, payload=payload, signature=altered) is False


def test_it_rejects_an_unknown_key_id(ring, payload):
    ring.create()
    _kid, signature = ring.sign(payload)
    assert ring.verify(kid="c9901zzz", payload=payload, signature=signature) is False
    assert ring.verify(kid="../../etc/passwd", payload=payload, signature=signature) is False


@pytest.mark.parametrize(
    "signature", ["", "!" * 86, "证" * 86, "A" * 85, "A" * 87, "A" * 86 + "==", "A" * 85 + "=", "A" * 86]
)
def test_it_rejects_junk_signatures_without_raising(ring, payload, signature):
    kid = ring.create()
    assert ring.verify(kid=kid, payload=payload, signature=signature) is False


def test_it_rejects_wrong_types_without_raising(ring, payload):
    kid = ring.create()
    _kid, signature = ring.sign(payload)
    assert ring.verify(kid=None, payload=payload, signature=signature) is False
    assert ring.verify(kid=kid, payload=payload.decode(), signature=signature) is False
    assert ring.verify(kid=kid, payload=payload, signature=b64url_decode(signature)) is False


def test_an_empty_ring_verifies_nothing_and_refuses_to_sign(ring, payload):
    assert ring.verify(kid="c2611abc", payload=payload, signature="A" * 86) is False
    assert ring.active_kid() is None
    assert ring.public_keys() == []
    with pytest.raises(KeyRingError, match="signing_keys create"):
        ring.sign(payload)


def test_a_damaged_manifest_verifies_nothing_and_refuses_to_sign(ring, payload):
    kid = ring.create()
    _kid, signature = ring.sign(payload)
    ring.manifest_path.write_text("{not json", encoding="utf-8")
    assert ring.verify(kid=kid, payload=payload, signature=signature) is False
    with pytest.raises(KeyRingError):
        ring.sign(payload)


# --- key ids, creation, rotation ----------------------------------------------------------------


def test_the_first_created_key_becomes_active_with_a_short_purpose_prefixed_id(ring, tmp_path):
    kid = ring.create()
    assert ring.active_kid() == kid
    assert len(kid) <= 8
    assert kid.startswith("c") and kid[1:5].isdigit()
    assert kid.isalnum() and kid == kid.lower()
    audit_kid = KeyRing(tmp_path / "audit", purpose="audit").create()
    assert audit_kid.startswith("a") and len(audit_kid) <= 8


def test_create_refuses_a_second_key_while_one_is_active(ring):
    kid = ring.create()
    with pytest.raises(KeyRingError, match="rotate"):
        ring.create()
    assert [key["kid"] for key in ring.public_keys()] == [kid]


def test_rotation_keeps_old_signatures_valid_and_publishes_both_keys(ring, payload):
    old = ring.create()
    _kid, old_signature = ring.sign(payload)
    new = ring.rotate()
    assert new != old
    assert ring.active_kid() == new
    assert ring.verify(kid=old, payload=payload, signature=old_signature) is True
    kid, new_signature = ring.sign(payload)
    assert kid == new
    assert ring.verify(kid=new, payload=payload, signature=new_signature) is True
    assert ring.verify(kid=old, payload=payload, signature=new_signature) is False
    assert [(key["kid"], key["status"]) for key in ring.public_keys()] == [(old, "retired"), (new, "active")]


def test_rotating_an_empty_ring_creates_its_first_active_key(ring):
    kid = ring.rotate()
    assert ring.active_kid() == kid


def test_public_keys_publish_exactly_the_agreed_fields(ring):
    ring.create()
    ring.rotate()
    for key in ring.public_keys():
        assert set(key) == {"kid", "alg", "public_key", "created_at", "status"}
        assert key["alg"] == "Ed25519"
        assert len(b64url_decode(key["public_key"])) == 32
        assert dt.datetime.fromisoformat(key["created_at"]).tzinfo is not None


def test_ensure_active_creates_once_and_then_returns_the_same_key(ring):
    kid = ring.ensure_active()
    assert ring.ensure_active() == kid
    assert len(ring.public_keys()) == 1


def test_two_threads_ensuring_a_key_on_an_empty_ring_create_exactly_one(tmp_path):
    directory = tmp_path / "race"
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(KeyRing(directory, purpose="certificate").ensure_active())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert len(KeyRing(directory, purpose="certificate").public_keys()) == 1
    assert len(list(directory.glob("*.pem"))) == 1


def test_a_ring_refuses_a_directory_that_belongs_to_another_purpose(tmp_path):
    KeyRing(tmp_path, purpose="audit").create()
    with pytest.raises(KeyRingError, match="audit"):
        KeyRing(tmp_path, purpose="certificate").public_keys()


def test_a_purpose_must_be_a_short_lowercase_word(tmp_path):
    with pytest.raises(ValueError):
        KeyRing(tmp_path, purpose="../x")


# --- files --------------------------------------------------------------------------------------


def test_private_key_files_have_mode_0600_in_a_0700_directory(ring):
    ring.create()
    ring.rotate()
    pems = list(ring.directory.glob("*.pem"))
    assert len(pems) == 2
    for path in [*pems, ring.manifest_path]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ring.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(ring.directory.parent.stat().st_mode) == 0o700  # the "keys" folder it created
    assert {path.stem for path in pems} == {key["kid"] for key in ring.public_keys()}


def test_private_keys_are_unencrypted_pkcs8_pem(ring):
    kid = ring.create()
    text = (ring.directory / f"{kid}.pem").read_text()
    assert text.startswith("-----BEGIN PRIVATE KEY-----")


def test_the_manifest_never_contains_private_material(ring):
    ring.create()
    ring.rotate()
    manifest = ring.manifest_path.read_text(encoding="utf-8")
    for form in private_material(ring.directory):
        assert form not in manifest
    document = json.loads(manifest)
    assert document["purpose"] == "certificate"
    for entry in document["keys"]:
        assert set(entry) <= {"kid", "alg", "public_key", "created_at", "status", "retired_at"}


def test_no_temporary_files_are_left_behind(ring):
    ring.create()
    ring.rotate()
    assert not [path for path in ring.directory.iterdir() if path.name.endswith(".tmp")]


def test_a_private_key_that_does_not_match_the_manifest_is_refused(ring, payload, tmp_path):
    kid = ring.create()
    other = KeyRing(tmp_path / "other", purpose="certificate")
    other_kid = other.create()
    (ring.directory / f"{kid}.pem").write_bytes((other.directory / f"{other_kid}.pem").read_bytes())
    with pytest.raises(KeyRingError):
        ring.sign(payload)


# --- settings -----------------------------------------------------------------------------------


def test_the_rings_live_under_var_dir_by_default(tmp_path):
    """The default is declared once, in settings, from SKILLCERT_VAR_DIR (issue 10: no fallbacks in code)."""
    import json
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    environment.update(DEBUG="1", SKILLCERT_VAR_DIR=str(tmp_path), SECRET_KEY="x" * 60)
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from certify.keys import certificate_keyring; from audit.keys import audit_keyring;"
        "c, a = certificate_keyring(), audit_keyring();"
        "print(json.dumps([str(c.directory), c.purpose, str(a.directory), a.purpose]))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    rings = json.loads(result.stdout.strip().splitlines()[-1])
    assert rings == [str(tmp_path / "keys" / "certificate"), "certificate", str(tmp_path / "keys" / "audit"), "audit"]


def test_the_ring_directories_follow_their_settings(settings, tmp_path):
    settings.SKILLCERT_CERT_KEYS_DIR = tmp_path / "c"
    settings.SKILLCERT_AUDIT_KEYS_DIR = str(tmp_path / "a")
    assert certificate_keyring().directory == tmp_path / "c"
    assert audit_keyring().directory == tmp_path / "a"


# --- the certificate payload --------------------------------------------------------------------


def test_the_payload_matches_the_documented_example_byte_for_byte():
    assert certificate_payload(**FIELDS) == DOCUMENTED_EXAMPLE


def test_the_same_fields_in_any_keyword_order_give_the_same_bytes():
    assert certificate_payload(**dict(reversed(list(FIELDS.items())))) == certificate_payload(**FIELDS)


def test_the_payload_is_sorted_compact_utf8_json_with_version_one():
    text = certificate_payload(**FIELDS).decode("utf-8")
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert document["v"] == 1
    assert ", " not in text and ": " not in text and "\\u" not in text


@pytest.mark.parametrize("work_type", ["", "  ", "\u3000", None])
def test_an_empty_work_type_is_signed_as_two_hyphens(work_type):
    document = json.loads(certificate_payload(**{**FIELDS, "work_type": work_type}))
    assert document["work_type"] == "--"


def test_a_work_type_is_kept_when_present():
    document = json.loads(certificate_payload(**{**FIELDS, "work_type": "数控车工"}))
    assert document["work_type"] == "数控车工"


def test_strings_are_nfc_normalised_and_stripped():
    decomposed = unicodedata.normalize("NFD", "José Müller")
    assert decomposed != "José Müller"
    padded = {**FIELDS, "holder_name": f"  {decomposed}\u3000", "occupation": " 车工\n"}
    expected = {**FIELDS, "holder_name": "José Müller", "occupation": "车工"}
    assert certificate_payload(**padded) == certificate_payload(**expected)


def test_any_changed_printed_field_changes_the_payload():
    base = certificate_payload(**FIELDS)
    for name, value in FIELDS.items():
        changed = value + dt.timedelta(days=1) if name == "issue_date" else value + "1"
        assert certificate_payload(**{**FIELDS, name: changed}) != base, name


def test_the_payload_refuses_an_empty_mandatory_field():
    with pytest.raises(ValueError, match="holder_name"):
        certificate_payload(**{**FIELDS, "holder_name": "  "})


def test_the_payload_refuses_control_characters():
    with pytest.raises(ValueError):
        certificate_payload(**{**FIELDS, "holder_name": "张\n三"})


def test_the_payload_refuses_a_datetime_as_issue_date():
    with pytest.raises(TypeError):
        certificate_payload(**{**FIELDS, "issue_date": dt.datetime(2026, 3, 15, 8, 0)})


# --- the command --------------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("signing_keys", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def key_dirs(settings, tmp_path):
    settings.SKILLCERT_CERT_KEYS_DIR = tmp_path / "certificate"
    settings.SKILLCERT_AUDIT_KEYS_DIR = tmp_path / "audit"
    return tmp_path


def test_the_command_creates_lists_and_rotates_without_printing_private_material(key_dirs):
    output = run("list") + run("create")
    kid = certificate_keyring().active_kid()
    output += run("rotate")
    new = certificate_keyring().active_kid()
    output += run("list")
    assert kid in output and new in output
    assert str(key_dirs / "certificate") in output
    for key in certificate_keyring().public_keys():
        assert key["public_key"] in output
    for form in private_material(key_dirs / "certificate"):
        assert form not in output


def test_the_command_works_on_the_audit_ring(key_dirs):
    output = run("create", "--purpose", "audit")
    kid = audit_keyring().active_kid()
    assert kid.startswith("a")
    assert kid in output
    assert str(key_dirs / "audit") in output
    assert certificate_keyring().active_kid() is None
    for form in private_material(key_dirs / "audit"):
        assert form not in output


def test_the_command_refuses_a_second_create(key_dirs):
    run("create")
    with pytest.raises(CommandError, match="rotate"):
        run("create")


def test_bulk_signer_signs_with_the_active_key_like_sign(ring):
    ring.create()
    sign = ring.bulk_signer()
    kid, signature = sign(b"payload")
    assert kid == ring.active_kid()
    assert ring.verify(kid=kid, payload=b"payload", signature=signature)
    assert ring.sign(b"payload") == (kid, signature)  # Ed25519 is deterministic


def test_bulk_signer_without_an_active_key_raises_the_ring_error(ring):
    with pytest.raises(KeyRingError):
        ring.bulk_signer()
