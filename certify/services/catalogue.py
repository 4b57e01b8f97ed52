"""The occupation catalogue: the bureau imports occupations and 工种 from CSV or xlsx, all or nothing."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import require
from audit.events import EventType
from audit.history import bulk_create_audited, save_tracked
from audit.services import audit_append
from certify.errors import ImportRejected
from certify.models import Occupation, WorkType
from certify.models.catalogue import OCCUPATION_CODE_RE
from certify.permissions import CATALOGUE_REFUSED, SHORTAGE_REFUSED, can_manage_catalogue
from lib.chain import diff
from lib.excel import Column, read_table

BUILTIN_CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "occupations.csv"
DEFAULT_EDITION = "2022"

CATALOGUE_COLUMNS = [
    Column(
        key="code",
        header="职业编码",
        aliases=("职业代码", "编码", "code"),
        max_length=20,
        help="《中华人民共和国职业分类大典》编码，格式如 6-18-01-01",
        example="6-18-01-01",
    ),
    Column(key="name", header="职业名称", aliases=("职业", "name"), max_length=100, example="车工"),
    Column(
        key="work_type",
        header="工种/职业方向",
        aliases=("工种", "职业方向", "work_type"),
        required=False,
        max_length=100,
        help="可不填；一个职业有多个工种时每个工种占一行",
        example="数控车工",
    ),
    Column(key="name_en", header="英文名称", aliases=("name_en",), required=False, max_length=200, example="Turner"),
    Column(
        key="edition",
        header="大典版本",
        aliases=("版本", "edition"),
        required=False,
        max_length=10,
        help="不填时为 2022",
        example="2022",
    ),
    Column(
        key="is_shortage",
        header="急需紧缺",
        aliases=("急需紧缺职业", "is_shortage"),
        required=False,
        kind="bool",
        help="填“是”或“否”；不填则不改变",
        example="否",
    ),
]

_CODE = re.compile(OCCUPATION_CODE_RE)


@dataclass
class CatalogueImportResult:
    rows: int = 0
    occupations_created: int = 0
    occupations_updated: int = 0
    work_types_created: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.occupations_created or self.occupations_updated or self.work_types_created)


def _validate(table) -> dict[tuple[str, str], dict]:
    """Check every row; return the occupations the file describes, keyed by (code, edition)."""
    wanted: dict[tuple[str, str], dict] = {}
    for row_number, row in table.rows:
        code, name = row["code"], row["name"]
        edition = row.get("edition") or DEFAULT_EDITION
        if not _CODE.match(code):
            table.add_error(row_number, "职业编码", _("格式应为 6-18-01-01（一位大类-两位中类-两位小类-两位细类）"))
            continue
        if not re.fullmatch(r"\d{4}", edition):
            table.add_error(row_number, "大典版本", _("应为 4 位年份，如 2022"))
            continue
        entry = wanted.get((code, edition))
        if entry is None:
            entry = wanted[(code, edition)] = {
                "row": row_number,
                "name": name,
                "name_en": row.get("name_en") or "",
                "is_shortage": row.get("is_shortage"),
                "work_types": set(),
            }
        elif entry["name"] != name:
            table.add_error(
                row_number,
                "职业名称",
                _("与第 %(row)d 行同一职业编码的名称「%(name)s」不一致") % {"row": entry["row"], "name": entry["name"]},
            )
            continue
        if row.get("work_type"):
            entry["work_types"].add(row["work_type"])
    return wanted


def catalogue_import(*, actor, file, filename: str = "") -> CatalogueImportResult:
    """Validate the whole file, then import it in one transaction; re-importing changes nothing.

    Raises ImportRejected (listing every bad row) and writes nothing when any row is wrong.
    """
    require(can_manage_catalogue(actor), CATALOGUE_REFUSED)
    content = file.read() if hasattr(file, "read") else Path(file).read_bytes()
    table = read_table(io.BytesIO(content), columns=CATALOGUE_COLUMNS, filename=filename, max_rows=20000)
    wanted = _validate(table)
    if not table.ok:
        raise ImportRejected(sorted(table.errors, key=lambda e: e.row))
    return _apply(actor=actor, wanted=wanted, rows=len(table.rows), filename=filename, content=content)


@transaction.atomic
def _apply(*, actor, wanted: dict, rows: int, filename: str, content: bytes) -> CatalogueImportResult:
    result = CatalogueImportResult(rows=rows)
    existing = {(o.code, o.edition): o for o in Occupation.objects.select_for_update(of=("self",))}
    new_occupations, updated = [], []
    for (code, edition), spec in sorted(wanted.items()):
        occupation = existing.get((code, edition))
        if occupation is None:
            new_occupations.append(
                Occupation(
                    code=code,
                    edition=edition,
                    name=spec["name"],
                    name_en=spec["name_en"],
                    is_shortage=bool(spec["is_shortage"]),
                )
            )
            continue
        before = {"name": occupation.name, "name_en": occupation.name_en, "is_shortage": occupation.is_shortage}
        after = dict(before, name=spec["name"])
        if spec["name_en"]:
            after["name_en"] = spec["name_en"]
        if spec["is_shortage"] is not None:
            after["is_shortage"] = bool(spec["is_shortage"])
        if after != before:
            for key, value in after.items():
                setattr(occupation, key, value)
            save_tracked(occupation, actor=actor, reason=_("导入职业目录"))
            updated.append(f"{code} {diff(before, after)}")
    created = bulk_create_audited(Occupation, new_occupations, actor=actor, reason=_("导入职业目录"))
    by_key = {**existing, **{(o.code, o.edition): o for o in created}}
    known = set(WorkType.objects.values_list("occupation_id", "name"))
    new_work_types = []
    for key, spec in sorted(wanted.items()):
        occupation = by_key[key]
        for name in sorted(spec["work_types"]):
            if (occupation.pk, name) not in known:
                new_work_types.append(WorkType(occupation=occupation, name=name))
                known.add((occupation.pk, name))
    bulk_create_audited(WorkType, new_work_types, actor=actor, reason=_("导入职业目录"))
    result.occupations_created = len(created)
    result.occupations_updated = len(updated)
    result.work_types_created = len(new_work_types)
    result.changes = updated
    if result.changed:
        audit_append(
            actor=actor,
            event_type=EventType.CATALOGUE_IMPORTED,
            target=("certify.occupation", "catalogue", _("职业目录")),
            data={
                "filename": filename,
                "sha256": hashlib.sha256(content).hexdigest(),
                "rows": rows,
                "occupations_created": result.occupations_created,
                "occupations_updated": updated,
                "work_types_created": result.work_types_created,
            },
        )
    return result


def catalogue_import_builtin(*, actor) -> CatalogueImportResult:
    """The 117 occupations common in Dongguan (2022 codes) shipped with the project."""
    with BUILTIN_CATALOGUE.open("rb") as handle:
        return catalogue_import(actor=actor, file=handle, filename=BUILTIN_CATALOGUE.name)


@transaction.atomic
def occupation_set_shortage(*, actor, occupation: Occupation, is_shortage: bool) -> Occupation:
    """The bureau keeps the local 急需紧缺 list (it raises subsidies, domain.md §8)."""
    require(can_manage_catalogue(actor), SHORTAGE_REFUSED)
    occupation = Occupation.objects.select_for_update(of=("self",)).get(pk=occupation.pk)
    if occupation.is_shortage == is_shortage:
        raise ValidationError(_("没有变化"))
    old = occupation.is_shortage
    occupation.is_shortage = is_shortage
    save_tracked(occupation, actor=actor, fields=["is_shortage"])
    audit_append(
        actor=actor,
        event_type=EventType.OCCUPATION_UPDATED,
        target=occupation,
        data={"changes": {"is_shortage": [old, is_shortage]}},
    )
    return occupation


def resolve_work_type(*, actor, occupation: Occupation, value) -> WorkType | None:
    """A 工种 given as an object, a name, or nothing. A new name is created inside the caller's
    transaction, so the caller's audit event covers it."""
    if value is None or isinstance(value, WorkType):
        if value is not None and value.occupation_id != occupation.pk:
            raise ValidationError({"work_type": _("所选工种不属于该职业")})
        return value
    name = " ".join(str(value).split())
    if not name:
        return None
    if len(name) > 100:
        raise ValidationError({"work_type": _("工种名称不能超过 100 个字")})
    work_type = WorkType.objects.filter(occupation=occupation, name=name).first()
    if work_type is None:
        work_type = WorkType(occupation=occupation, name=name)
        save_tracked(work_type, actor=actor)
    return work_type
