"""``manage.py signing_keys list|create|rotate [--purpose certificate|audit]``.

Prints key ids, status, public keys and the directory. Private keys stay in their files: nothing
here reads them, so nothing here can print them.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.keys import audit_keyring
from certify.keys import certificate_keyring
from lib.keyring import KeyRing, KeyRingError

RINGS = {"certificate": certificate_keyring, "audit": audit_keyring}


class Command(BaseCommand):
    help = "列出、新建或轮换签名密钥（不输出私钥）/ List, create or rotate signing keys (never prints private keys)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["list", "create", "rotate"])
        parser.add_argument("--purpose", choices=sorted(RINGS), default="certificate")

    def handle(self, *args, action: str, purpose: str, **options) -> None:
        ring = RINGS[purpose]()
        try:
            if action == "create":
                kid = ring.create()
                self.stdout.write(
                    self.style.SUCCESS(_("已新建签名密钥 %(kid)s（启用中）/ Created active key.") % {"kid": kid})
                )
            elif action == "rotate":
                old = ring.active_kid()
                kid = ring.rotate()
                self.stdout.write(self.style.SUCCESS(_("已轮换：启用新密钥 %(kid)s / Rotated.") % {"kid": kid}))
                if old:
                    self.stdout.write(
                        _("原密钥 %(kid)s 已停用，仍公开并可用于验证 / Retired, still published for verification.")
                        % {"kid": old}
                    )
            self._list(ring)
        except KeyRingError as exc:
            raise CommandError(str(exc)) from exc

    def _list(self, ring: KeyRing) -> None:
        self.stdout.write(_("用途 / Purpose：%(purpose)s") % {"purpose": ring.purpose})
        self.stdout.write(_("密钥目录 / Directory：%(path)s") % {"path": ring.directory})
        keys = ring.public_keys()
        if not keys:
            self.stdout.write(
                _("尚无密钥 / No keys. 请运行 / Run: python manage.py signing_keys create --purpose %(purpose)s")
                % {"purpose": ring.purpose}
            )
            return
        for key in keys:
            self.stdout.write(
                f"{key['kid']:<9} {key['status']:<8} {key['created_at']}  {key['alg']} {key['public_key']}"
            )
