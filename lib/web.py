"""Small helpers shared by the views of every app."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render


def apply_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages)
    else:
        form.add_error(None, exc.messages)


def error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def querystring(request, drop: tuple[str, ...] = ("page",)) -> str:
    """The request's query string without the pager's parameter, for links to other pages."""
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


def paginate(request, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def handler403(request, exception=None):
    message = str(exception) if exception and str(exception) else "您没有执行此操作的权限"
    return render(request, "errors/403.html", {"message": message}, status=403)


def handler404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def handler500(request):
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    """An expired or missing form token, explained in Chinese (the default page is English)."""
    return render(request, "errors/csrf.html", status=403)


class RefusalsOneLineFilter(logging.Filter):
    """On ``django.request``: a 403 is a routine refusal, logged as its one line without the
    traceback Django attaches (which would fill the log on every probe)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
