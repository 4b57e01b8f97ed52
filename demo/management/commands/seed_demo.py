"""Demo data for `make run`: a bureau, two Dongguan enterprises, one account per role.

Idempotent: run it as often as you like; what exists is left alone. Every row is written
through the services, so the demo's audit trail is as real as production's.

``--size dongguan`` first fills a freshly migrated development database with a whole city's
history (``demo.scale``, the generator of ``manage.py generate_scale``: 468 organisations and
168,000 certificates over three years), then puts the demo accounts and plans on top, so the
statistics, lists and inboxes look like the real thing. It prints how long each part took.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Organization, User
from accounts.roles import BureauRole, Role
from accounts.services import bureau_user_create, membership_add, organization_create
from audit.actors import system_actor

DEMO_PASSWORD = "Demo@2026"  # noqa: S105  (published demo password, printed by design)

BUREAU_USERS = [
    ("bureau_admin", "李建国", BureauRole.BUREAU_ADMIN),
    ("bureau_auditor", "陈静", BureauRole.BUREAU_AUDITOR),
    ("supervisor", "黄志明", BureauRole.SUPERVISOR),
]

ORGANIZATIONS = [
    {
        "key": "hk",
        "name": "东莞市华科精密制造有限公司",
        "credit_code": "91441900MA4W8HK3XF",
        "province_sequence": "001234",
        "contact_name": "王丽",
        "contact_phone": "0769-22881234",
        "address": "东莞市松山湖高新技术产业开发区工业西路 8 号",
        "members": [
            ("hk_admin", "王丽", Role.ORG_ADMIN),
            ("hk_operator", "刘洋", Role.OPERATOR),
            ("hk_assessor", "张伟", Role.ASSESSOR),
            ("hk_assessor2", "赵磊", Role.ASSESSOR),
            ("hk_assessor3", "孙强", Role.ASSESSOR),
            ("hk_reviewer", "周敏", Role.REVIEWER),
            ("hk_viewer", "吴芳", Role.VIEWER),
        ],
    },
    {
        "key": "yh",
        "name": "东莞市粤海电子科技有限公司",
        "credit_code": "91441900MA51RQ7P23",
        "province_sequence": "001235",
        "contact_name": "郑海",
        "contact_phone": "0769-81234567",
        "address": "东莞市长安镇振安中路 118 号",
        "members": [
            ("yh_admin", "郑海", Role.ORG_ADMIN),
            ("yh_operator", "何婷", Role.OPERATOR),
            ("yh_assessor", "林峰", Role.ASSESSOR),
            ("yh_reviewer", "梁晓", Role.REVIEWER),
            ("yh_viewer", "许可", Role.VIEWER),
        ],
    },
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo accounts."

    def add_arguments(self, parser):
        from demo.scale import PRESETS

        parser.add_argument(
            "--size",
            choices=["demo", *sorted(PRESETS)],
            default="demo",
            help="demo: the demo accounts and plans only; dongguan (or tiny, x10): a generated city's "
            "organisations and certificates first (a freshly migrated development database only)",
        )

    def handle(self, *args, size: str = "demo", **options):
        started = time.perf_counter()
        if size != "demo":
            self._bulk(size)
        system = system_actor("seed_demo")
        with transaction.atomic():
            for username, full_name, role in BUREAU_USERS:
                if not User.objects.filter(username=username).exists():
                    bureau_user_create(
                        actor=system,
                        username=username,
                        full_name=full_name,
                        password=DEMO_PASSWORD,
                        role=role,
                        must_change_password=False,
                    )
            bureau_admin = User.objects.get(username="bureau_admin")
            for spec in ORGANIZATIONS:
                self._organization(bureau_admin, spec)
        from demo.seed import seed_certify

        seed_certify(system=system, bureau_admin=bureau_admin, stdout=self.stdout)
        self._print_accounts()
        if size != "demo":
            self.stdout.write(f"总用时 / total: {time.perf_counter() - started:.1f} s")

    def _bulk(self, size: str) -> None:
        """The generated city, written in bulk before the demo's own rows."""
        from certify.models import Certificate
        from demo.scale import generate

        if not settings.DEBUG:
            raise CommandError(
                f"--size {size} writes a generated city's data: run it with DEBUG=1 on a development database."
            )
        if Certificate.objects.exists():
            raise CommandError(
                f"--size {size} fills a freshly migrated database, and this one already holds certificates: "
                "point DATABASE_URL at a new database, migrate it, then run seed_demo --size again."
            )

        shown = [0]

        def progress(done: int, total: int, elapsed: float) -> None:
            if done >= total or done - shown[0] >= max(1, total // 10):  # about every tenth
                shown[0] = done
                self.stdout.write(f"  {done:,}/{total:,} certificates · {elapsed:.0f} s")

        o = generate(size, say=self.stdout.write, progress=progress, prefix="city")
        self.stdout.write(
            f"{o.organisations:,} organisations, {o.plans:,} plans, {o.certificates:,} certificates, "
            f"{o.events:,} audit events in {o.seconds:.1f} s"
        )

    def _organization(self, bureau_admin: User, spec: dict) -> Organization:
        org = Organization.objects.filter(credit_code=spec["credit_code"]).first()
        if org is None:
            org = organization_create(
                actor=bureau_admin,
                name=spec["name"],
                credit_code=spec["credit_code"],
                province_sequence=spec["province_sequence"],
                contact_name=spec["contact_name"],
                contact_phone=spec["contact_phone"],
                address=spec["address"],
            )
        # The bureau adds the organisation's first admin (the first member listed); that admin adds the rest.
        actor = bureau_admin
        for username, full_name, role in spec["members"]:
            if not Membership.objects.filter(organization=org, user__username=username).exists():
                membership_add(
                    actor=actor,
                    organization=org,
                    username=username,
                    full_name=full_name,
                    role=role,
                    password=DEMO_PASSWORD,
                    must_change_password=False,
                )
            if actor is bureau_admin:
                actor = User.objects.get(username=username)
        return org

    def _print_accounts(self) -> None:
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("演示数据已就绪 / demo data ready"))
        out.write(f"所有演示账号的密码 / password for every demo account: {DEMO_PASSWORD}")
        out.write("")
        rows = [(u, n, BureauRole(r).label, "人社局") for u, n, r in BUREAU_USERS]
        for spec in ORGANIZATIONS:
            rows += [(u, n, Role(r).label, spec["name"]) for u, n, r in spec["members"]]
        width = max(len(r[0]) for r in rows) + 2
        for username, name, role, where in rows:
            out.write(f"  {username.ljust(width)}{name}  {role}  {where}")
        out.write("")
        out.write("打开 / open http://127.0.0.1:8000")
