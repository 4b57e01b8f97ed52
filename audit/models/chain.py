from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.events import EventType
from lib.chain import GENESIS_HASH, chain_hash


class AppendOnlyError(Exception):
    """Raised by the model layer when code tries to change or remove an audit row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit rows are append-only")

    def delete(self):
        raise AppendOnlyError("audit rows are append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit rows are append-only")


class ChainHead(models.Model):
    """The single row every append locks, so appends are serialised and the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("审计链头")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="chainhead_single_row")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditEvent(models.Model):
    """One link of the append-only, hash-chained audit log.

    ``actor`` is a convenience join that may become NULL if a user row is ever deleted; the hash
    covers ``actor_uid`` and the text snapshots instead, so the chain survives that.

    .. pii: ``target_repr`` and ``data`` may hold names; ID numbers are never written here.
    """

    seq = models.BigIntegerField(_("序号"), primary_key=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("操作人"),
    )
    actor_uid = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    actor_repr = models.CharField(_("操作人"), max_length=200)
    actor_role = models.CharField(_("操作人角色"), max_length=40, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("机构"),
    )
    # No `choices=` on purpose: the enum grows with the code and must not need a migration each time.
    event_type = models.CharField(_("事件类型"), max_length=60, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=60)
    target_id = models.CharField(_("对象编号"), max_length=64)
    target_repr = models.CharField(_("对象"), max_length=300)
    data = models.JSONField(_("数据"), default=dict)
    history = models.JSONField(_("关联历史记录"), default=list)
    reason = models.TextField(_("原因"), blank=True)
    ip = models.CharField(_("IP 地址"), max_length=45, blank=True)  # text: inet would re-format it
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["organization", "seq"], name="audit_org_seq_idx"),
            models.Index(fields=["actor_uid", "seq"], name="audit_actor_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.target_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are append-only")

    @property
    def event_label(self) -> str:
        try:
            return str(EventType(self.event_type).label)
        except ValueError:
            return self.event_type

    def payload(self) -> dict:
        """The fields the hash covers, in their stored form."""
        return {
            "seq": self.seq,
            "created_at": self.created_at,
            "actor": self.actor_uid,
            "actor_repr": self.actor_repr,
            "actor_role": self.actor_role,
            "organization": self.organization_id,
            "event_type": self.event_type,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_repr": self.target_repr,
            "data": self.data,
            "history": self.history,
            "reason": self.reason,
            "ip": self.ip,
        }

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.payload())
