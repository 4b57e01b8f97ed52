"""The one way an upload page runs an all-or-nothing import and reports its rows."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from certify.errors import ImportRejected
from certify.forms import ImportForm


def run_import(request, do_import, **kwargs):
    """(form, result, errors): the result on success, else the rows that stopped the import.

    ``do_import`` is a service taking ``actor``, ``file`` and ``filename`` plus ``kwargs``; a
    ValidationError (wrong state, wrong role) goes on the form, row errors come back as a list.
    """
    form = ImportForm(request.POST or None, request.FILES or None)
    result, errors = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = do_import(actor=request.user, file=upload, filename=upload.name, **kwargs)
        except ImportRejected as exc:
            errors = exc.errors
        except ValidationError as exc:
            form.add_error(None, exc.messages)
    return form, result, errors
