"""The organisations of a generated world, written in bulk: each with its admin, operator and
reviewer (accounts and object permissions as ``membership_add`` grants them), a filing for levels
5–1 of its occupations, and a published enterprise standard for each occupation.

The events are the ones the services write for these steps: ``organization.created``, one
``membership.added`` per member, ``filing.created`` and one ``standard.published`` per occupation.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Membership, Organization, OrganizationUserObjectPermission, User
from accounts.roles import ROLE_PERMISSIONS, Role
from audit.events import EventType
from certify.models import Filing, FilingScope, Occupation, Standard, StandardLevel, StandardVersion
from certify.scenarios import PASSWORD, credit_code
from certify.services.standards.rules import default_level
from demo.scale.writer import BulkWriter
from lib.levels import level_wording

LEVELS = (5, 4, 3, 2, 1)
TOWNS = (
    "长安",
    "虎门",
    "厚街",
    "塘厦",
    "常平",
    "大朗",
    "寮步",
    "清溪",
    "凤岗",
    "黄江",
    "樟木头",
    "谢岗",
    "东城",
    "南城",
    "莞城",
    "万江",
    "石碣",
    "石龙",
    "茶山",
    "企石",
    "横沥",
    "桥头",
    "东坑",
    "高埗",
    "麻涌",
    "中堂",
)
TRADES = ("精密", "电子", "五金", "模具", "塑胶", "电器", "家具", "机械", "光电", "智能", "包装", "照明")


@dataclass
class Org:
    """What the plans of one organisation need, by primary key."""

    pk: int
    name: str
    province_sequence: str
    number_type: str
    ministry_code: str
    admin: tuple  # (uid, repr, role) of each member, as events name them
    operator: tuple
    reviewer: tuple
    filing: int
    occupations: list = field(default_factory=list)  # Occupation rows
    versions: dict = field(default_factory=dict)  # occupation code → StandardVersion pk
    levels: dict = field(default_factory=dict)  # (occupation code, level) → StandardLevel pk


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _values(instance) -> dict:
    """An unsaved instance's field values (its defaults and what its builder set)."""
    return {f.attname: instance.__dict__.get(f.attname) for f in instance._meta.concrete_fields if f.attname != "id"}


class OrgBuilder:
    """Writes ``count`` organisations with ``writer``; the bureau admin files and creates them."""

    def __init__(self, writer: BulkWriter, *, rng: random.Random, today: dt.date, bureau: tuple, prefix: str):
        self.writer, self.rng, self.today, self.bureau, self.prefix = writer, rng, today, bureau, prefix
        codes = list(Occupation.objects.filter(active=True).order_by("code"))
        self.manufacturing = [o for o in codes if o.code.startswith("6-")]
        self.other = [o for o in codes if not o.code.startswith("6-")] or self.manufacturing
        self.password = make_password(PASSWORD)  # one hash for every generated account (same password)
        content_type = ContentType.objects.get_for_model(Organization)
        self.perms = {
            role: list(Permission.objects.filter(content_type=content_type, codename__in=ROLE_PERMISSIONS[role]))
            for role in (Role.ORG_ADMIN, Role.OPERATOR, Role.REVIEWER)
        }
        self.sequence_base = 300_000 + Organization.objects.count()
        self.grants: list[OrganizationUserObjectPermission] = []
        self.credit_codes = set(Organization.objects.values_list("credit_code", flat=True))

    def build(self, count: int) -> list[Org]:
        orgs = []
        for i in range(count):
            orgs.append(self.organization(i))
            if len(orgs) % 500 == 0 or i == count - 1:
                self.writer.flush()
                self.writer.wait()
                # object permissions as membership_add grants them, once their organisations exist
                OrganizationUserObjectPermission.objects.bulk_create(self.grants, batch_size=2000)
                self.grants = []
        return orgs

    def _credit_code(self) -> str:
        while True:
            code = credit_code(self.rng)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def organization(self, i: int) -> Org:
        rng, w = self.rng, self.writer
        when = _at(self.today - dt.timedelta(days=rng.randint(1160, 1200)))
        bureau_uid = self.bureau[0]
        name = f"东莞市{rng.choice(TOWNS)}{rng.choice(TRADES)}制造有限公司（{i + 1}）"
        org = w.add(
            Organization,
            _values(
                Organization(
                    name=name,
                    credit_code=self._credit_code(),
                    province_sequence=f"{self.sequence_base + i:06d}",
                    number_type=Organization.NumberType.EMPLOYER,
                    created_at=when,
                    updated_at=when,
                )
            ),
            when=when,
            actor_id=bureau_uid,
        )
        org_pk = org["id"]
        w.event(
            event_type=EventType.ORGANIZATION_CREATED,
            actor=self.bureau,
            when=when,
            target=("accounts.organization", org_pk, name),
            organization_id=org_pk,
            data={"generated": True, "org_admin": None},
        )
        members = {}
        for role, label in ((Role.ORG_ADMIN, "admin"), (Role.OPERATOR, "operator"), (Role.REVIEWER, "reviewer")):
            user = User.objects.create(
                username=f"{self.prefix}{org['province_sequence']}_{label}",
                full_name=f"{label}{i + 1}",
                password=self.password,
                date_joined=when,
            )
            w.add(
                Membership,
                {"user_id": user.pk, "organization_id": org_pk, "role": role, "created_at": when},
                when=when,
                actor_id=bureau_uid,
            )
            self.grants += [
                OrganizationUserObjectPermission(user=user, permission=p, content_object_id=org_pk)
                for p in self.perms[role]
            ]
            w.event(
                event_type=EventType.MEMBERSHIP_ADDED,
                actor=self.bureau,
                when=when,
                target=("accounts.membership", user.pk, user.username),
                organization_id=org_pk,
                data={"username": user.username, "role": str(role)},
            )
            members[label] = (user.pk, str(user), str(role))
        result = Org(
            pk=org_pk,
            name=name,
            province_sequence=org["province_sequence"],
            number_type=org["number_type"],
            ministry_code=org["ministry_code"],
            admin=members["admin"],
            operator=members["operator"],
            reviewer=members["reviewer"],
            filing=0,
        )
        self.filing(result, when + dt.timedelta(days=1), i)
        self.standards(result, when + dt.timedelta(days=2))
        return result

    def filing(self, org: Org, when: dt.datetime, i: int) -> None:
        rng, w = self.rng, self.writer
        # One to three manufacturing occupations and one other: plans then pick manufacturing 85 % of the time.
        picked = [*rng.sample(self.manufacturing, rng.randint(1, 3)), rng.choice(self.other)]
        org.occupations = picked
        number = f"东人社评备〔{when.year}〕G{self.sequence_base + i:06d}号"
        filing = w.add(
            Filing,
            {
                "organization_id": org.pk,
                "number": number,
                "valid_from": self.today - dt.timedelta(days=1200),
                "valid_until": self.today + dt.timedelta(days=730),
                "created_at": when,
                "created_by_id": self.bureau[0],
            },
            when=when,
            actor_id=self.bureau[0],
        )
        org.filing = filing["id"]
        for occupation in picked:
            w.add(
                FilingScope,
                {
                    "filing_id": org.filing,
                    "occupation_id": occupation.pk,
                    "levels": "".join(map(str, LEVELS)),
                    "added_at": when,
                },
                when=when,
                actor_id=self.bureau[0],
            )
        w.event(
            event_type=EventType.FILING_CREATED,
            actor=self.bureau,
            when=when,
            target=("certify.filing", org.filing, number),
            organization_id=org.pk,
            data={"number": number, "occupations": [o.code for o in picked], "levels": list(LEVELS)},
        )

    def standards(self, org: Org, when: dt.datetime) -> None:
        w, operator = self.writer, org.operator
        effective = self.today - dt.timedelta(days=1200)
        for occupation in org.occupations:
            standard = w.add(
                Standard,
                {
                    "organization_id": org.pk,
                    "occupation_id": occupation.pk,
                    "source": Standard.Source.ENTERPRISE,
                    "created_at": when,
                    "created_by_id": operator[0],
                },
                when=when,
                actor_id=operator[0],
            )
            title = f"{org.name}{occupation.name}企业评价规范"
            version = w.add(
                StandardVersion,
                {
                    "standard_id": standard["id"],
                    "version": 1,
                    "status": StandardVersion.Status.PUBLISHED,
                    "title": title,
                    "effective_from": effective,
                    "created_at": when,
                    "created_by_id": operator[0],
                    "published_at": when,
                    "published_by_id": operator[0],
                },
                when=when,
                actor_id=operator[0],
            )
            org.versions[occupation.code] = version["id"]
            stub = StandardVersion(pk=version["id"])
            for code in LEVELS:
                level = w.add(StandardLevel, _values(default_level(stub, code)), when=when, actor_id=operator[0])
                org.levels[(occupation.code, code)] = level["id"]
            w.event(
                event_type=EventType.STANDARD_PUBLISHED,
                actor=operator,
                when=when,
                target=("certify.standardversion", version["id"], title),
                organization_id=org.pk,
                data={"version": 1, "levels": [level_wording(c) for c in LEVELS]},
            )
