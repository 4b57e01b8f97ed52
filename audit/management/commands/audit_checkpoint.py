"""``manage.py audit_checkpoint``: sign the chain head now (the hourly beat task does the same)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.actors import system_actor
from audit.checkpoints import checkpoint_create
from lib.keyring import KeyRingError


class Command(BaseCommand):
    help = "为审计链头生成一个签名检查点（自上个检查点以来没有新事件时不生成）。"

    def handle(self, *args, **options) -> None:
        try:
            checkpoint = checkpoint_create(actor=system_actor("command"))
        except KeyRingError as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            self.stdout.write(_("自上个检查点以来审计链没有新事件，未生成新的检查点。"))
            return
        self.stdout.write(
            self.style.SUCCESS(
                _("已生成检查点 #%(seq)d（哈希 %(hash)s，签名密钥 %(kid)s）。")
                % {"seq": checkpoint.seq, "hash": checkpoint.hash, "kid": checkpoint.key_id}
            )
        )
