"""The public verification pages: no login, phone first, nothing cached, nothing personal in URLs.

``/v/<number>?s=…&k=…`` answers the QR code (HTML, or JSON to ``Accept: application/json``);
``/v/`` looks a certificate up by number and full name (POST, so the name never lands in a log);
``/v/<number>/copy`` lets the holder download their own PDF (查验码 + name); the public keys are published at
``/.well-known/skillcert-keys.json``. Every request is counted per client IP in the shared cache.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from audit.middleware import client_ip
from certify.services import verification, worker_copy
from lib import numbering
from lib.checkcode import normalise_check_code
from lib.keyring import KeyRingError
from lib.ratelimit import hit

# (limit, window in seconds)
VERIFY_PER_IP = (30, 60)
LOOKUP_PER_IP = (10, 60)
LOOKUP_PER_NUMBER = (20, 3600)
# Wrong answers also lock the certificate's copy, each time for longer (worker_copy.copy_failure).
COPY_PER_IP = (10, 900)
COPY_PER_CERTIFICATE = (20, 900)
KEYS_MAX_AGE = 300
NUMBER_FIELD_LENGTH = 40  # the lookup form's number field (maxlength)

JSON_PARAMS = {"ensure_ascii": False}


class LookupForm(forms.Form):
    # No length or format rules here: a malformed number must get the same answer as an unknown one.
    number = forms.CharField(
        label=gettext_lazy("证书编号"),
        strip=True,
        error_messages={"required": gettext_lazy("请填写证书编号")},
        help_text=gettext_lazy("见证书“证书编号”一栏，22 位，以 Y 或 S 开头"),
    )
    name = forms.CharField(
        label=gettext_lazy("姓名"),
        strip=True,
        error_messages={"required": gettext_lazy("请填写持证人姓名")},
        help_text=gettext_lazy("与证书上的姓名完全一致"),
    )


class CopyForm(forms.Form):
    """What only the paper gives: the 查验码 printed beside the QR code, and the holder's full name."""

    check_code = forms.CharField(
        label=gettext_lazy("查验码"),
        strip=True,
        max_length=64,
        error_messages={"required": gettext_lazy("请填写证书上印制的查验码")},
        help_text=gettext_lazy("见纸质证书二维码下方，16 位字母和数字，如 7KQ2-M9XD-4TBN-HC3R；不区分大小写"),
    )
    name = forms.CharField(
        label=gettext_lazy("持证人姓名"),
        strip=True,
        max_length=60,
        error_messages={"required": gettext_lazy("请填写持证人姓名")},
        help_text=gettext_lazy("与证书上的姓名完全一致"),
    )

    def clean_check_code(self) -> str:
        code = normalise_check_code(self.cleaned_data["check_code"])
        if code is None:
            raise forms.ValidationError(_("查验码应为 16 位字母和数字（可带或不带短横线），请对照纸质证书重新输入"))
        return code


# --- helpers ------------------------------------------------------------------------------------


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or "-"


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _limited(request: HttpRequest, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"result": "rate_limited", "detail": message}, status=429, json_dumps_params=JSON_PARAMS)
    return render(request, "certify/verify_message.html", {"title": _("查询过于频繁"), "message": message}, status=429)


def _answer(
    request: HttpRequest,
    result: verification.Verification,
    *,
    signature: str = "",
    key_id: str = "",
    copy_error: str = "",
    copy_form: CopyForm | None = None,
    copy_open: bool = False,
    lookup_form: LookupForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(result.as_json(), status=status, json_dumps_params=JSON_PARAMS)
    title, subtitle = result.banner
    if not result.found:
        # Every "not found" renders the same bytes but for what the visitor typed or the link carried,
        # kept in the lookup form: nothing says which part was wrong.
        form = lookup_form or LookupForm()
        context = {"v": result, "banner_title": title, "banner_subtitle": subtitle, "form": form}
        return render(request, "certify/verify.html", context, status=status)
    # The copy needs the QR of the current paper: a scanned legacy (version-1) QR has no 查验码 beside it.
    copy_offered = bool(signature) and result.result == verification.VALID and not result.legacy
    copy_supported = copy_offered and worker_copy.copy_supported(result.certificate)
    context = {
        "v": result,
        "banner_title": title,
        "banner_subtitle": subtitle,
        "facts": result.facts,
        "checks": [result.integrity, result.issuer, result.status],
        "checked_at": timezone.localtime(),
        "copy_offered": copy_offered,
        "copy_supported": copy_supported,
        "copy_ready": copy_supported and worker_copy.pdf_available(result.certificate),
        "copy_form": copy_form or CopyForm(),
        "copy_open": copy_open or bool(copy_error) or copy_form is not None,
        "copy_query": urlencode({"s": signature, "k": key_id}),
        "signature": signature,
        "key_id": key_id,
        "copy_error": copy_error,
        "national": result.national,
    }
    return render(request, "certify/verify.html", context, status=status)


def _number_form(number: str) -> LookupForm:
    """The lookup form with the number of the link filled in (as long as the field takes)."""
    return LookupForm(initial={"number": number[:NUMBER_FIELD_LENGTH]})


# --- views --------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@never_cache
@vary_on_headers("Accept")
def verify_certificate(request: HttpRequest, number: str) -> HttpResponse:
    """The page the QR code opens."""
    if hit("verify-ip", _ip(request), limit=VERIFY_PER_IP[0], window=VERIFY_PER_IP[1]):
        return _limited(request, _("查询过于频繁，请 1 分钟后再试。"))
    signature, key_id = request.GET.get("s", ""), request.GET.get("k", "")
    result = verification.verification_by_signature(number=number, signature=signature, key_id=key_id)
    return _answer(request, result, signature=signature, key_id=key_id, lookup_form=_number_form(number))


@require_http_methods(["GET", "POST"])
@never_cache
@vary_on_headers("Accept")
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """Number + full name. The form posts, so the name stays out of URLs and access logs."""
    if request.method != "POST":
        return render(request, "certify/verify_lookup.html", {"form": LookupForm()})
    if hit("verify-lookup-ip", _ip(request), limit=LOOKUP_PER_IP[0], window=LOOKUP_PER_IP[1]):
        return _limited(request, _("查询过于频繁，请 1 分钟后再试。"))
    form = LookupForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
            return JsonResponse({"result": "invalid", "errors": errors}, status=400, json_dumps_params=JSON_PARAMS)
        return render(request, "certify/verify_lookup.html", {"form": form}, status=400)
    number = form.cleaned_data["number"]
    key = numbering.normalise_number(number)[:64]
    if hit("verify-lookup-number", key, limit=LOOKUP_PER_NUMBER[0], window=LOOKUP_PER_NUMBER[1]):
        return _limited(request, _("该证书编号查询次数过多，请 1 小时后再试。"))
    result = verification.verification_by_name(number=number, name=form.cleaned_data["name"])
    # A wrong name keeps the number and the name as typed, to correct one of them.
    return _answer(request, result, lookup_form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def verify_copy(request: HttpRequest, number: str) -> HttpResponse:
    """The holder's own PDF, for the 查验码 printed on the paper and the full name.

    ``/v/<number>/copy?s=…&k=…`` is a stable address: GET shows the verification page with the copy
    form open (it survives a refresh or a shared link), POST answers at the form (``#copy``).
    """
    signature = request.GET.get("s") or request.POST.get("s", "")
    key_id = request.GET.get("k") or request.POST.get("k", "")
    answer = {"signature": signature, "key_id": key_id, "copy_open": True, "lookup_form": _number_form(number)}
    if request.method != "POST":
        if hit("verify-ip", _ip(request), limit=VERIFY_PER_IP[0], window=VERIFY_PER_IP[1]):
            return _limited(request, _("查询过于频繁，请 1 分钟后再试。"))
        result = verification.verification_by_signature(number=number, signature=signature, key_id=key_id)
        return _answer(request, result, **answer)
    key = numbering.normalise_number(number)[:64]
    if hit("verify-copy-ip", _ip(request), limit=COPY_PER_IP[0], window=COPY_PER_IP[1]) or hit(
        "verify-copy-number", key, limit=COPY_PER_CERTIFICATE[0], window=COPY_PER_CERTIFICATE[1]
    ):
        return _limited(request, _("下载尝试次数过多，请 15 分钟后再试。"))
    result = verification.verification_by_signature(number=number, signature=signature, key_id=key_id)
    if result.result != verification.VALID or result.legacy:
        return _answer(request, result, **answer)
    certificate = result.certificate
    if not worker_copy.copy_supported(certificate):
        return _answer(request, result, status=409, **answer)
    if not worker_copy.pdf_available(certificate):
        return _answer(
            request, result, copy_error=_("电子证书文件尚未生成，请稍后再试，或联系发证机构。"), status=409, **answer
        )
    form = CopyForm(request.POST)
    if not form.is_valid():
        return _answer(request, result, copy_form=form, status=400, **answer)
    outcome = worker_copy.certificate_worker_copy(
        certificate=certificate, check_code=form.cleaned_data["check_code"], name=form.cleaned_data["name"]
    )
    if not outcome.ok:
        if outcome.locked_seconds:
            minutes = max(1, -(-outcome.locked_seconds // 60))
            message = _("输入错误次数过多，本证书的自助下载已暂停 %(m)d 分钟；如需帮助请联系发证机构。") % {
                "m": minutes
            }
        else:
            message = _("查验码或姓名与证书不一致，请对照纸质证书核对后重新输入。")
        form.add_error(None, message)
        return _answer(request, result, copy_form=form, status=403, **answer)
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"职业技能等级证书-{certificate.number}.pdf",
        content_type="application/pdf",
    )


@require_http_methods(["GET", "HEAD"])
def public_keys(request: HttpRequest) -> HttpResponse:
    """The public keys, for anyone checking a QR code offline."""
    try:
        document = verification.public_key_document()
    except KeyRingError:
        response = JsonResponse(
            {"detail": _("公钥暂时无法读取，请稍后再试。")}, status=503, json_dumps_params=JSON_PARAMS
        )
        patch_cache_control(response, no_store=True)
        return response
    response = JsonResponse(document, json_dumps_params={**JSON_PARAMS, "indent": 2})
    patch_cache_control(response, public=True, max_age=KEYS_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response
