"""ID numbers encrypted at rest and looked up by keyed hash. No database."""

import base64
import json
import os
import stat
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from lib import pii
from lib.keyring import b64url_decode, b64url_encode
from lib.pii import PiiError, decrypt, encrypt, lookup_hash, reset_key_cache, rotate_local_key, token_kid

ID_NUMBER = "44190019900307123X"


def new_key(size=32):
    return base64.b64encode(os.urandom(size)).decode()


@pytest.fixture(autouse=True)
def local_keys(settings, tmp_path):
    """The embedded default: no key settings, keys in a fresh VAR_DIR/keys/pii.json."""
    settings.VAR_DIR = tmp_path
    settings.SKILLCERT_PII_KEYS = None
    settings.SKILLCERT_PII_ACTIVE_KID = None
    settings.SKILLCERT_PII_HMAC_KEY = None
    reset_key_cache()
    yield tmp_path / "keys" / "pii.json"
    reset_key_cache()


@pytest.fixture
def settings_keys(settings):
    keys = {"k1": new_key(), "k2": new_key()}
    settings.SKILLCERT_PII_KEYS = {"k1": keys["k1"]}
    settings.SKILLCERT_PII_ACTIVE_KID = "k1"
    settings.SKILLCERT_PII_HMAC_KEY = new_key()
    return keys


def with_blob_byte_flipped(token, index):
    version, kid, body = token.split(".")
    blob = bytearray(b64url_decode(body))
    blob[index] ^= 0x01
    return f"{version}.{kid}.{b64url_encode(bytes(blob))}"


# --- encryption ---------------------------------------------------------------------------------


def test_an_id_number_round_trips_through_a_v1_token():
    token = encrypt(ID_NUMBER)
    version, kid, body = token.split(".")
    assert version == "v1"
    assert token_kid(token) == kid
    assert len(b64url_decode(body)) == 12 + len(ID_NUMBER) + 16
    assert ID_NUMBER not in token
    assert decrypt(token) == ID_NUMBER


def test_the_same_number_encrypts_differently_each_time():
    assert encrypt(ID_NUMBER) != encrypt(ID_NUMBER)


def test_chinese_and_empty_text_round_trip():
    assert decrypt(encrypt("港澳居民来往内地通行证 H12345678")) == "港澳居民来往内地通行证 H12345678"
    assert decrypt(encrypt("")) == ""


def test_any_flipped_byte_of_nonce_ciphertext_or_tag_is_detected():
    token = encrypt(ID_NUMBER)
    for index in range(len(b64url_decode(token.split(".")[2]))):
        with pytest.raises(PiiError):
            decrypt(with_blob_byte_flipped(token, index))


@pytest.mark.parametrize(
    "token",
    ["", "junk", "v1.k1", "v2.k1.AAAA", "v1..AAAA", "v1.k/1.AAAA", "v1.k1.!!!!", "v1.k1.AAAA", "v1.k1.AAAA.x"],
)
def test_malformed_tokens_raise_pii_error(token):
    with pytest.raises(PiiError):
        decrypt(token)


def test_a_token_made_for_one_purpose_does_not_decrypt_as_another():
    token = encrypt(ID_NUMBER, purpose="id_number")
    with pytest.raises(PiiError):
        decrypt(token, purpose="phone")
    assert decrypt(encrypt("13800138000", purpose="phone"), purpose="phone") == "13800138000"


def test_a_token_relabelled_with_another_key_id_does_not_decrypt(settings, settings_keys):
    settings.SKILLCERT_PII_KEYS = settings_keys
    token = encrypt(ID_NUMBER)
    relabelled = token.replace(".k1.", ".k2.")
    with pytest.raises(PiiError):
        decrypt(relabelled)


def test_an_unknown_key_id_raises_pii_error(settings_keys):
    token = encrypt(ID_NUMBER)
    with pytest.raises(PiiError):
        decrypt(token.replace(".k1.", ".k9."))


# --- rotation -----------------------------------------------------------------------------------


def test_rotation_in_settings_keeps_old_tokens_decrypting(settings, settings_keys):
    old_token = encrypt(ID_NUMBER)
    assert token_kid(old_token) == "k1"
    settings.SKILLCERT_PII_KEYS = settings_keys
    settings.SKILLCERT_PII_ACTIVE_KID = "k2"
    new_token = encrypt(ID_NUMBER)
    assert token_kid(new_token) == "k2"
    assert decrypt(old_token) == ID_NUMBER
    assert decrypt(new_token) == ID_NUMBER


def test_dropping_an_old_key_makes_its_tokens_unreadable(settings, settings_keys):
    old_token = encrypt(ID_NUMBER)
    settings.SKILLCERT_PII_KEYS = {"k2": settings_keys["k2"]}
    settings.SKILLCERT_PII_ACTIVE_KID = "k2"
    with pytest.raises(PiiError):
        decrypt(old_token)


def test_rotating_the_local_key_file_keeps_old_tokens_decrypting(local_keys):
    old_token = encrypt(ID_NUMBER)
    old_hash = lookup_hash(id_type="1", number=ID_NUMBER)
    new_kid = rotate_local_key()
    new_token = encrypt(ID_NUMBER)
    assert token_kid(new_token) == new_kid != token_kid(old_token)
    assert decrypt(old_token) == ID_NUMBER
    assert lookup_hash(id_type="1", number=ID_NUMBER) == old_hash
    document = json.loads(local_keys.read_text())
    assert document["active"] == new_kid
    assert set(document["keys"]) == {token_kid(old_token), new_kid}


def test_local_rotation_is_refused_when_keys_come_from_settings(settings_keys):
    with pytest.raises(ImproperlyConfigured):
        rotate_local_key()


# --- lookup hash --------------------------------------------------------------------------------


def test_lookup_hash_is_deterministic_hex_sha256():
    value = lookup_hash(id_type="1", number=ID_NUMBER)
    assert value == lookup_hash(id_type="1", number=ID_NUMBER)
    assert len(value) == 64
    assert int(value, 16) >= 0


def test_lookup_hash_differs_per_id_type_and_per_number():
    base = lookup_hash(id_type="1", number=ID_NUMBER)
    assert lookup_hash(id_type="5", number=ID_NUMBER) != base
    assert lookup_hash(id_type="1", number="441900199003071231") != base


def test_lookup_hash_ignores_case_and_surrounding_spaces_of_the_number():
    assert lookup_hash(id_type="1", number=" 44190019900307123x ") == lookup_hash(id_type="1", number=ID_NUMBER)


def test_lookup_hash_depends_on_the_key(settings, settings_keys):
    first = lookup_hash(id_type="1", number=ID_NUMBER)
    settings.SKILLCERT_PII_HMAC_KEY = new_key()
    assert lookup_hash(id_type="1", number=ID_NUMBER) != first


def test_lookup_hash_refuses_an_id_type_that_would_make_it_ambiguous():
    with pytest.raises(ValueError):
        lookup_hash(id_type="1:2", number=ID_NUMBER)


# --- the local key file -------------------------------------------------------------------------


def test_first_use_creates_a_0600_key_file_that_later_loads_give_back(local_keys):
    assert not local_keys.exists()
    token = encrypt(ID_NUMBER)
    assert stat.S_IMODE(local_keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(local_keys.parent.stat().st_mode) == 0o700
    document = json.loads(local_keys.read_text())
    assert set(document) == {"active", "keys", "hmac"}
    assert document["active"] == token_kid(token)
    assert len(base64.b64decode(document["keys"][document["active"]])) == 32
    assert len(base64.b64decode(document["hmac"])) >= 32
    reset_key_cache()
    assert decrypt(token) == ID_NUMBER


def test_keys_from_settings_create_no_key_file(local_keys, settings_keys):
    decrypt(encrypt(ID_NUMBER))
    assert not local_keys.exists()


def test_two_threads_creating_the_key_file_at_once_get_one_key(local_keys):
    barrier = threading.Barrier(2)
    documents, errors = [], []

    def worker():
        try:
            barrier.wait()
            documents.append(pii._load_or_create_key_file(local_keys))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert documents[0] == documents[1] == json.loads(local_keys.read_text())
    assert len(documents[0]["keys"]) == 1


def test_two_threads_encrypting_first_share_one_key(local_keys):
    barrier = threading.Barrier(2)
    tokens = []

    def worker():
        barrier.wait()
        tokens.append(encrypt(ID_NUMBER))

    threads = [threading.Thread(target=worker) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokens) == 2
    assert token_kid(tokens[0]) == token_kid(tokens[1])
    assert [decrypt(token) for token in tokens] == [ID_NUMBER, ID_NUMBER]


# --- configuration errors -----------------------------------------------------------------------


def test_partial_key_settings_are_refused(settings):
    settings.SKILLCERT_PII_KEYS = {"k1": new_key()}
    with pytest.raises(ImproperlyConfigured, match="together"):
        encrypt(ID_NUMBER)


@pytest.mark.parametrize(
    ("keys", "active", "hmac_key"),
    [
        ({"k1": new_key(16)}, "k1", new_key()),
        ({"k1": "not base64!"}, "k1", new_key()),
        ({"k1": new_key()}, "k2", new_key()),
        ({"k.1": new_key()}, "k.1", new_key()),
        ({"k1": new_key()}, "k1", new_key(16)),
    ],
)
def test_bad_key_settings_are_refused_without_echoing_the_key(settings, keys, active, hmac_key):
    settings.SKILLCERT_PII_KEYS = keys
    settings.SKILLCERT_PII_ACTIVE_KID = active
    settings.SKILLCERT_PII_HMAC_KEY = hmac_key
    with pytest.raises(ImproperlyConfigured) as excinfo:
        encrypt(ID_NUMBER)
    for secret in [*keys.values(), hmac_key]:
        assert secret not in str(excinfo.value)


def test_url_safe_base64_keys_without_padding_are_accepted(settings):
    raw = os.urandom(32)
    settings.SKILLCERT_PII_KEYS = {"k1": b64url_encode(raw)}
    settings.SKILLCERT_PII_ACTIVE_KID = "k1"
    settings.SKILLCERT_PII_HMAC_KEY = b64url_encode(os.urandom(48))
    assert decrypt(encrypt(ID_NUMBER)) == ID_NUMBER
