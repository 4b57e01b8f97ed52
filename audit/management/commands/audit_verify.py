"""``manage.py audit_verify [--checkpoints FILE] [--json] [--skip-rows]``.

Exit status 0 when the audit trail is intact, 1 when it is damaged (the first bad sequence number
and the kind of damage are named), 2 when the checkpoints file cannot be read.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.checkpoints import CheckpointFileError, checkpoints_file_read
from audit.verify import VerifyReport, verify_all


class Command(BaseCommand):
    help = (
        "校验审计链：逐条核对哈希链、检查点签名、历史记录和业务记录；完好时退出码为 0，"
        "否则指出第一个出问题的序号和问题类型。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--checkpoints", metavar="FILE", help=_("人社局下载保存的检查点文件（.jsonl）"))
        parser.add_argument("--json", action="store_true", dest="as_json", help=_("以 JSON 输出完整结果"))
        parser.add_argument("--skip-rows", action="store_true", help=_("不比对业务记录与历史记录（更快）"))
        parser.add_argument("--chunk-size", type=int, default=2000, help=_("每批读取的行数"))

    def handle(self, *args, checkpoints=None, as_json=False, skip_rows=False, chunk_size=2000, **options) -> None:
        checkpoints_file = None
        if checkpoints:
            try:
                with open(checkpoints, encoding="utf-8") as handle:
                    checkpoints_file = checkpoints_file_read(handle)
            except OSError as exc:
                raise CommandError(
                    _("无法读取检查点文件 %(path)s：%(error)s") % {"path": checkpoints, "error": exc.strerror},
                    returncode=2,
                ) from exc
            except (CheckpointFileError, UnicodeDecodeError) as exc:
                raise CommandError(str(exc), returncode=2) from exc
        report = verify_all(checkpoints_file=checkpoints_file, chunk_size=max(chunk_size, 100), rows=not skip_rows)
        if as_json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            self._print(report)
        first = report.first_problem
        if first is not None:
            where = _("第 %(seq)d 号") % {"seq": first.seq} if first.seq is not None else f"{first.model} #{first.pk}"
            raise CommandError(
                _("审计数据已被改动：首个问题在%(where)s，类型：%(label)s（%(kind)s）。")
                % {"where": where, "label": first.label, "kind": first.kind},
                returncode=1,
            )

    def _print(self, report: VerifyReport) -> None:
        out = self.stdout.write
        out(_("审计链校验"))
        out(
            _("  事件：%(n)s 条（链头第 %(head)s 号）；历史记录组 %(g)s 个，历史记录 %(r)s 条")
            % {
                "n": f"{report.events:,}",
                "head": report.head_seq if report.head_seq is not None else "-",
                "g": f"{report.history_groups:,}",
                "r": f"{report.history_rows:,}",
            }
        )
        out(
            _("  检查点：数据库 %(db)d 个，下载文件 %(file)d 个")
            % {"db": report.checkpoints, "file": report.file_checkpoints}
        )
        out(_("  业务记录：%(m)d 个模型，%(r)s 行") % {"m": report.models, "r": f"{report.rows:,}"})
        out(
            _("  用时 %(s).2f 秒（审计链 %(c).2f 秒），每秒 %(eps)s 条事件")
            % {"s": report.seconds, "c": report.chain_seconds, "eps": f"{report.events_per_second:,.0f}"}
        )
        for note in report.notes:
            out(_("  注意：%(note)s") % {"note": note})
        if report.ok:
            out(self.style.SUCCESS(_("结果：完好。")))
            return
        total = len(report.problems) + report.problems_not_listed
        out(self.style.ERROR(_("结果：发现 %(n)d 处问题。") % {"n": total}))
        for problem in report.sorted_problems():
            out(f"  [{problem.kind}] {problem.describe()}")
        if report.problems_not_listed:
            out(_("  另有 %(n)d 处问题未列出。") % {"n": report.problems_not_listed})


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
