"""Uploads: the one way an upload page runs an all-or-nothing import, and the cap on every uploaded file."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler

from certify.errors import ImportRejected
from certify.forms import ImportForm
from lib.excel import size_problem


class CappedUploadHandler(FileUploadHandler):
    """First in ``FILE_UPLOAD_HANDLERS``: passes on at most ``SKILLCERT_UPLOAD_MAX_BYTES`` + 1 bytes
    of each file and drops the rest of it.

    The handlers after it store only what it passes on, so a file of any size costs at most the cap
    in memory or on disk. The stored copy, one byte over the cap, is refused by every size check
    downstream (this module's, ``read_table``'s, the photo's and the seal's) with its own message,
    where refusing here could only have made the file vanish from the form.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.keep = settings.SKILLCERT_UPLOAD_MAX_BYTES + 1

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = self.keep - start
        return raw_data[:room] if room > 0 else None

    def file_complete(self, file_size: int) -> None:
        return None


def run_import(request, do_import, **kwargs):
    """(form, result, errors): the result on success, else the rows that stopped the import.

    ``do_import`` is a service taking ``actor``, ``file`` and ``filename`` plus ``kwargs``; a
    ValidationError (wrong state, wrong role) goes on the form, row errors come back as a list. A
    file over the size cap is refused at the field before anything reads it.
    """
    form = ImportForm(request.POST or None, request.FILES or None)
    result, errors = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        too_big = size_problem(upload.size)
        if too_big:
            form.add_error("file", too_big)
            return form, result, errors
        try:
            result = do_import(actor=request.user, file=upload, filename=upload.name, **kwargs)
        except ImportRejected as exc:
            errors = exc.errors
        except ValidationError as exc:
            form.add_error(None, exc.messages)
    return form, result, errors
