"""Files the app writes are readable by its own user only (issue 9, finding 13): media 0600 in 0700
folders, the SQLite database 0600 before SQLite ever opens it."""

import stat

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from lib.files import private_file


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_finding_13_media_files_are_private(db, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from django.core.files.storage import storages

    storages._storages.clear()  # the storage reads MEDIA_ROOT and the modes when built
    try:
        name = default_storage.save("photos/2026/12/a.jpg", ContentFile(b"\xff\xd8\xff"))
        path = tmp_path / "media" / name
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    finally:
        storages._storages.clear()


def test_finding_13_the_sqlite_file_is_created_private_and_its_journal_follows(tmp_path):
    import sqlite3

    path = private_file(tmp_path / "var" / "db.sqlite3")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()

    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    for suffix in ("-wal", "-shm"):
        journal = path.with_name(path.name + suffix)
        if journal.exists():
            assert mode(journal) == 0o600
    connection.close()


def test_an_existing_database_file_is_tightened(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o644)

    private_file(path)

    assert mode(path) == 0o600


def test_uploads_are_configured_private():
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
