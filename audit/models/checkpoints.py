from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.chain import AppendOnlyError, AppendOnlyQuerySet


class AuditCheckpoint(models.Model):
    """A signed statement of the chain head (sequence, hash, time), made on a schedule and on
    demand. The bureau downloads them and keeps them outside the database: a chain rewritten
    afterwards, however consistently, no longer matches an earlier checkpoint."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    hash = models.CharField(_("哈希"), max_length=64)
    created_at = models.DateTimeField(_("时间"))
    key_id = models.CharField(_("签名密钥"), max_length=16)
    signature = models.CharField(_("签名"), max_length=100)
    made_by = models.CharField(_("生成者"), max_length=200)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("checkpoints are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("checkpoints are append-only")
