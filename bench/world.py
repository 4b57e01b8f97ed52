"""The benchmarks' world: the shared scenario builder (certify/scenarios.py), built once per run."""

from certify.scenarios import OrgSetup, Scenario, chinese_name, resident_id

__all__ = ["OrgSetup", "Scenario", "chinese_name", "resident_id", "world"]


def world(ctx) -> Scenario:
    return ctx.once("world", lambda: Scenario(ctx.today))
