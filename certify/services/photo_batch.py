"""Photos for a whole plan at once (issue 11): a zip of images, each named by the candidate's ID
number or 工号 (工号.jpg, 441900199001011234.png), matched to the plan's candidates, checked and
normalised one by one like a single upload; a report line per file.

Each photo stands alone: a good one is kept even when its neighbour is refused, because a clerk
fixes the refused files and sends them again, not the whole folder. The zip itself is read from
its directory with caps (count, each member's declared and actual size, the total) before
anything is inflated, so a crafted archive costs nothing.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from certify.models import AssessmentPlan, Enrolment
from certify.permissions import can_register_in_plan
from certify.services.enrolments import enrolment_set_photo
from lib import pii
from lib.halfwidth import normalize_number
from lib.images import PHOTO_MAX_BYTES

MAX_FILES = 500
MAX_TOTAL_BYTES = 200 * 1024 * 1024
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
SAVED, UNMATCHED, REFUSED, SKIPPED = "saved", "unmatched", "refused", "skipped"


@dataclass(frozen=True)
class PhotoLine:
    filename: str
    outcome: str  # SAVED, UNMATCHED, REFUSED, SKIPPED
    candidate: str = ""  # the candidate's name when matched
    message: str = ""


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as the clerk's computer wrote it: zips made on Chinese Windows store
    names in GBK without the UTF-8 flag, which Python reads as CP437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _members(data: bytes) -> list[tuple[str, zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ValidationError({"file": _("不是有效的 zip 压缩包：请把照片放进一个文件夹，压缩为 .zip 后上传")}) from exc
    members = []
    for info in archive.infolist():
        name = _member_name(info)
        path = PurePosixPath(name.replace("\\", "/"))
        if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        members.append((path.name, info))
    if len(members) > MAX_FILES:
        raise ValidationError(
            {
                "file": _("压缩包里有 %(n)d 个文件，一次最多 %(max)d 个，请分批上传")
                % {"n": len(members), "max": MAX_FILES}
            }
        )
    if sum(info.file_size for _name, info in members) > MAX_TOTAL_BYTES:
        raise ValidationError({"file": _("压缩包解压后超过 200 MB，请分批上传")})
    return members


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The member's bytes, or None past the photo size cap (read in chunks: a member's declared
    size may lie)."""
    if info.file_size > PHOTO_MAX_BYTES:
        return None
    chunks, total = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(64 * 1024):
            total += len(chunk)
            if total > PHOTO_MAX_BYTES:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


def _index(plan: AssessmentPlan) -> tuple[dict[str, Enrolment], dict[tuple[str, str], Enrolment]]:
    enrolments = list(
        Enrolment.objects.filter(plan=plan, status=Enrolment.Status.REGISTERED).select_related("person", "plan")
    )
    by_employee = {e.employee_number.strip().upper(): e for e in enrolments if e.employee_number.strip()}
    by_hash = {(e.person.id_type, e.person.id_number_hash): e for e in enrolments}
    return by_employee, by_hash


def _match(stem: str, by_employee, by_hash) -> Enrolment | None:
    key = normalize_number(stem).strip().upper()
    if key in by_employee:
        return by_employee[key]
    for id_type in {t for t, _digest in by_hash}:
        for digest in pii.lookup_hashes(id_type=id_type, number=key):
            if (id_type, digest) in by_hash:
                return by_hash[(id_type, digest)]
    return None


def photos_import_zip(*, actor: User, plan: AssessmentPlan, data: bytes) -> list[PhotoLine]:
    """Match, check and keep every photo of the zip; one report line per file, in the zip's order."""
    require(can_register_in_plan(actor, plan), _("您没有为本机构登记考生的权限"))
    members = _members(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    by_employee, by_hash = _index(plan)
    lines, taken = [], {}
    for filename, info in members:
        path = PurePosixPath(filename)
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            lines.append(PhotoLine(filename, SKIPPED, message=_("不是图片文件，已跳过")))
            continue
        enrolment = _match(path.stem, by_employee, by_hash)
        if enrolment is None:
            lines.append(
                PhotoLine(
                    filename, UNMATCHED, message=_("文件名不是本计划考生的证件号码或工号，请按证件号码或工号命名")
                )
            )
            continue
        if enrolment.pk in taken:
            message = _("与「%(other)s」是同一名考生，只保存了第一张") % {"other": taken[enrolment.pk]}
            lines.append(PhotoLine(filename, SKIPPED, enrolment.person.name, message))
            continue
        taken[enrolment.pk] = filename
        content = _read(archive, info)
        if content is None:
            lines.append(PhotoLine(filename, REFUSED, enrolment.person.name, _("照片文件超过 5 MB，请压缩后重传")))
            continue
        try:
            with transaction.atomic():
                enrolment_set_photo(actor=actor, enrolment=enrolment, data=content)
        except ValidationError as exc:
            lines.append(PhotoLine(filename, REFUSED, enrolment.person.name, "；".join(exc.messages)))
            continue
        lines.append(PhotoLine(filename, SAVED, enrolment.person.name))
    return lines
