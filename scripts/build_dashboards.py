"""Generate the monitoring files that are derived from code: Grafana dashboards, SLA thresholds, PrometheusRule.

    python scripts/build_dashboards.py           write them (make dashboards)
    python scripts/build_dashboards.py --check   exit 1 if a committed file differs from a fresh generation
    python scripts/build_dashboards.py --out DIR --runbook-url https://wiki.example/runbook.md \
        --job-selector 'job="router"'            a deployment's copy: rules, PrometheusRule and dashboards
                                                 under DIR, alerts linking to that runbook and selecting
                                                 that job (the committed files use docs/runbook.md and
                                                 job="mention-router")

Outputs (committed; tests/unit/test_dashboards.py fails when they are stale):
  deploy/grafana/dashboards/{overview,teams,workers}.json   dashboards, one panel per query below
  deploy/k8s/grafana-dashboards.yaml                        the same, as ConfigMaps for Grafana's sidecar
  deploy/prometheus/rules/sla.yml                           each team's most lenient SLA, from the rules file
  deploy/k8s/prometheusrule.yaml                            recording + SLA + alert rules for prometheus-operator
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.routing import load_rules  # noqa: E402
from streams.settings import DEFAULT_RULES  # noqa: E402

DASHBOARDS = ROOT / "deploy/grafana/dashboards"
RULES_DIR = ROOT / "deploy/prometheus/rules"
PROMETHEUS_RULE = ROOT / "deploy/k8s/prometheusrule.yaml"
DASHBOARD_CONFIGMAPS = ROOT / "deploy/k8s/grafana-dashboards.yaml"
# Every panel, variable and annotation queries the data source picked in the dashboard's `datasource` variable
# (provisioned Grafana: deploy/grafana/provisioning/datasources; elsewhere whichever Prometheus holds the router).
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Every series a worker exports, and every recording rule (they keep both labels), is narrowed to the picked
# jobs and namespaces; ``scoped`` adds this to each selector. The SLA thresholds are constants, not narrowed.
SCOPE = 'job=~"$job", namespace=~"$namespace"'
_RECORDED_SELECTOR = re.compile(r"(?<![\w:])(mention_router:(?!team_sla_seconds:)\w+:\w+)(\{([^}]*)\})?")
_RAW_SELECTOR = re.compile(r"(?<![\w:])((?:mention_router|process|kafka_consumergroup)_\w+|up)(?![\w:(])(\{([^}]*)\})?")
TEAM = 'team=~"$team"'
# routed, first-response, breach and escalation series carry a bounded brand label (the rules file's
# `brands`, others "other"); backlog, oldest-unanswered and responses are per team only.
TEAM_BRAND = 'team=~"$team", brand=~"$brand"'
RULE_FILES = ("recording.yml", "sla.yml", "alerts.yml")


# --- dashboard building blocks -------------------------------------------------------------------------


class Layout:
    """Places panels left to right on a 24-column grid, wrapping to a new row."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.next_id = 1

    def place(self, width: int, height: int) -> dict[str, int]:
        if self.x + width > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        pos = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.x += width
        self.row_height = max(self.row_height, height)
        return pos

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def scoped(expr: str) -> str:
    """``expr`` with the job and namespace variables added to every selector of a worker's own series."""

    def add(match: re.Match[str]) -> str:
        inner = match.group(3)
        return f"{match.group(1)}{{{SCOPE}{', ' + inner if inner else ''}}}"

    return _RECORDED_SELECTOR.sub(add, _RAW_SELECTOR.sub(add, expr))


def target(expr: str, legend: str, ref: str = "A") -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": scoped(expr), "legendFormat": legend, "refId": ref}


def panel(
    layout: Layout,
    title: str,
    targets: list[tuple[str, str]],
    unit: str = "short",
    kind: str = "timeseries",
    width: int = 12,
    height: int = 8,
    description: str = "",
    stack: bool = False,
) -> dict[str, Any]:
    custom: dict[str, Any] = {}
    if kind == "timeseries":
        custom = {"fillOpacity": 15 if stack else 5, "lineWidth": 1, "showPoints": "never"}
        if stack:
            custom["stacking"] = {"mode": "normal", "group": "A"}
    result: dict[str, Any] = {
        "id": layout.new_id(),
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": layout.place(width, height),
        "fieldConfig": {"defaults": {"unit": unit, "custom": custom}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]}}
        if kind == "timeseries"
        else {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
        "targets": [target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(targets)],
    }
    return result


def variable(name: str, label: str, metric: str) -> dict[str, Any]:
    query = f"label_values({scoped(metric) if name not in ('job', 'namespace') else metric}, {name})"
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def dashboard(uid: str, title: str, description: str, panels: list[dict[str, Any]], variables: list[Any]) -> Any:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["mention-router"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [*scope_variables(), *variables]},
        "annotations": {"list": annotations()},
        "links": [
            {"title": name, "type": "link", "url": f"/d/mention-router-{name.lower()}", "targetBlank": False}
            for name in ("Overview", "Teams", "Workers")
        ],
        "panels": panels,
    }


def scope_variables() -> list[Any]:
    """Which Prometheus, and which of the router's jobs and namespaces (all by default)."""
    datasource = {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        # deploy/grafana/provisioning/datasources: the compose stack's Prometheus; elsewhere, pick one
        "current": {"selected": True, "text": "Prometheus", "value": "prometheus"},
        "hide": 0,
        "refresh": 1,
    }
    job = variable("job", "Job", "mention_router_build_info")
    namespace = variable("namespace", "Namespace", 'mention_router_build_info{job=~"$job"}')
    return [datasource, job, namespace]


def annotations() -> list[Any]:
    """Rules reloads and worker restarts, marked on every time series."""

    def annotation(name: str, expr: str, title: str, text: str, color: str) -> dict[str, Any]:
        return {"name": name, "datasource": DATASOURCE, "enable": True, "iconColor": color, "expr": scoped(expr),
                "step": "60s", "titleFormat": title, "textFormat": text}  # fmt: skip

    return [
        annotation("Rules reloads", 'sum by (result) (increase(mention_router_rules_reloads_total[2m])) > 0',
                   "rules reloaded", "{{result}}", "blue"),
        annotation("Worker restarts", "changes(process_start_time_seconds[2m]) > 0", "worker restarted",
                   "{{instance}}", "orange"),
    ]  # fmt: skip


def team_variables() -> list[Any]:
    return [
        variable("team", "Team", "mention_router_routed_total"),
        variable("brand", "Brand", "mention_router_routed_total"),
    ]


# --- the dashboards ------------------------------------------------------------------------------------


def overview() -> Any:
    lay = Layout()
    panels = [
        panel(
            lay, "Mentions in / s", [("sum(mention_router:mentions_ingested:rate5m)", "ingested")], "ops", "stat", 6, 4
        ),
        panel(lay, "Routed / s", [(f"sum(mention_router:routed:rate5m{{{TEAM}}})", "routed")], "ops", "stat", 6, 4),
        panel(
            lay,
            "Dead-letter ratio (10m)",
            [("mention_router:dead_letters:ratio_rate10m", "dead letters / input")],
            "percentunit",
            "stat",
            6,
            4,
        ),
        panel(lay, "Workers up", [("sum(up)", "up")], "short", "stat", 6, 4),
        panel(
            lay,
            "Throughput per stage",
            [("mention_router:stage_records:rate5m", "{{stage}}")],
            "ops",
            description="Records each stage handled per second, all workers.",
        ),
        panel(
            lay, "Ingested by channel", [("mention_router:mentions_ingested:rate5m", "{{channel}}")], "ops", stack=True
        ),
        panel(lay, "Duplicates by kind", [("mention_router:duplicates:rate5m", "{{kind}}")], "ops", stack=True),
        panel(
            lay,
            "Dead letters by reason",
            [("sum by (stage, reason) (mention_router:dead_letters:rate5m)", "{{stage}} {{reason}}")],
            "ops",
            stack=True,
        ),
        panel(
            lay,
            "Consumer lag (records)",
            [
                ("mention_router:consumergroup_lag:max", "{{consumergroup}} {{topic}}"),
                ("mention_router:partition_held_records:max > 0", "held by an open transaction: {{topic}}"),
            ],
            description="Records each stage's consumer group has not committed yet (max over the workers reporting), "
            "and records no stage can read yet because a transaction before them is still open: lag does not count "
            "those (see the MentionRouterInputHeldByOpenTransaction runbook).",
        ),
        panel(
            lay,
            "Routed by team",
            [(f"sum by (team) (mention_router:routed:rate5m{{{TEAM}}})", "{{team}}")],
            "ops",
            stack=True,
        ),
        panel(
            lay,
            "Ingest → routed latency",
            [
                (f"mention_router:pipeline_latency_seconds:p50_5m{{{TEAM}}}", "p50 {{team}}"),
                (f"mention_router:pipeline_latency_seconds:p99_5m{{{TEAM}}}", "p99 {{team}}"),
            ],
            "s",
            width=24,
        ),
    ]
    return dashboard(
        "mention-router-overview",
        "Mention Router / Overview",
        "What comes in, what goes out, what is merged or dead-lettered, and how far behind each stage is.",
        panels,
        team_variables(),
    )


def teams() -> Any:
    lay = Layout()
    quantiles = [
        (
            f"histogram_quantile({q}, sum by (team, priority, le) "
            f"(rate(mention_router_first_response_seconds_bucket{{{TEAM_BRAND}}}[1h])))",
            f"p{int(q * 100)} {{{{team}}}} {{{{priority}}}}",
        )
        for q in (0.5, 0.9, 0.99)
    ]
    panels = [
        panel(
            lay,
            "Unanswered backlog",
            [(f"sum(mention_router_backlog{{{TEAM}}})", "unanswered")],
            "short",
            "stat",
            6,
            4,
        ),
        panel(
            lay,
            "Oldest unanswered",
            [(f"max(mention_router_oldest_unanswered_seconds{{{TEAM}}})", "oldest")],
            "s",
            "stat",
            6,
            4,
        ),
        panel(
            lay,
            "SLA breaches (1h)",
            [(f"sum(increase(mention_router_sla_breaches_total{{{TEAM_BRAND}}}[1h]))", "breaches")],
            "short",
            "stat",
            6,
            4,
        ),
        panel(
            lay,
            "Escalations (1h)",
            [(f"sum(increase(mention_router_escalations_total{{{TEAM_BRAND}}}[1h]))", "escalations")],
            "short",
            "stat",
            6,
            4,
        ),
        panel(
            lay,
            "Backlog by team and priority",
            [(f"sum by (team, priority) (mention_router_backlog{{{TEAM}}})", "{{team}} {{priority}}")],
            stack=True,
            description="Routed mentions without a first response yet (summed over the workers that own them).",
        ),
        panel(
            lay,
            "Oldest unanswered by team",
            [
                (f"max by (team) (mention_router_oldest_unanswered_seconds{{{TEAM}}})", "{{team}}"),
                (f"mention_router:team_sla_seconds:max{{{TEAM}}}", "{{team}} longest SLA"),
            ],
            "s",
        ),
        panel(
            lay,
            "SLA breaches predicted (next 15 / 60 min)",
            [
                (
                    f"sum by (team, priority, horizon) (mention_router_sla_breach_forecast{{{TEAM}}})",
                    "{{team}} {{priority}} within {{horizon}}",
                )
            ],
            width=24,
            description=(
                "Open mentions that will pass their SLA due time within 15 / 60 minutes if each team keeps the "
                "answer rate of its last 15 minutes, answering in due order. Alert: MentionRouterSLABreachPredicted."
            ),
        ),
        panel(
            lay,
            "First response p50 / p90 / p99 by team and priority (1h)",
            quantiles,
            "s",
            width=24,
            height=10,
            description="From the mention's creation to the team's first reply, over the last hour.",
        ),
        panel(
            lay,
            "SLA breaches per hour",
            [
                (
                    f"sum by (team, priority) (increase(mention_router_sla_breaches_total{{{TEAM_BRAND}}}[1h]))",
                    "{{team}} {{priority}}",
                )
            ],
            stack=True,
        ),
        panel(
            lay,
            "Escalations per hour",
            [(f"sum by (team) (increase(mention_router_escalations_total{{{TEAM_BRAND}}}[1h]))", "{{team}}")],
            stack=True,
        ),
        panel(
            lay,
            "Responses by kind",
            [(f"sum by (team, kind) (rate(mention_router_responses_total{{{TEAM}}}[5m]))", "{{team}} {{kind}}")],
            "ops",
            stack=True,
        ),
        panel(
            lay,
            "Routed by team and priority",
            [
                (
                    f"sum by (team, priority) (rate(mention_router_routed_total{{{TEAM_BRAND}}}[5m]))",
                    "{{team}} {{priority}}",
                )
            ],
            "ops",
            stack=True,
        ),
        panel(
            lay,
            "Rules version in force",
            [("count by (version) (mention_router_rules_info)", "{{version}}")],
            "short",
            "stat",
            12,
            4,
            description="Workers per rules version; more than one version means a reload is still rolling out.",
        ),
        panel(
            lay,
            "Rules reloads (1h)",
            [("sum by (result) (increase(mention_router_rules_reloads_total[1h]))", "{{result}}")],
            "short",
            "stat",
            12,
            4,
        ),
    ]
    return dashboard(
        "mention-router-teams",
        "Mention Router / Teams",
        "Per team: what waits for an answer, how fast teams answer, SLA breaches and escalations.",
        panels,
        team_variables(),
    )


def workers() -> Any:
    lay = Layout()
    rate = "$__rate_interval"
    panels = [
        panel(lay, "Workers up", [("up", "{{instance}}")], "short", "stat", 24, 4),
        panel(
            lay,
            "Records / s per worker and stage",
            [
                (
                    f"sum by (instance, stage) (rate(mention_router_stage_seconds_count[{rate}]))",
                    "{{instance}} {{stage}}",
                )
            ],
            "ops",
        ),
        panel(
            lay,
            "Stage time per record (p99)",
            [
                ("mention_router:stage_seconds:p99_5m", "{{stage}}"),
                (
                    f"histogram_quantile(0.99, sum by (instance, le) "
                    f"(rate(mention_router_stage_seconds_bucket[{rate}])))",
                    "{{instance}}",
                ),
            ],
            "s",
        ),
        panel(lay, "Resident memory", [("process_resident_memory_bytes", "{{instance}}")], "bytes"),
        panel(lay, "CPU", [(f"rate(process_cpu_seconds_total[{rate}])", "{{instance}}")], "percentunit"),
        panel(
            lay,
            "Event loop lag and GC pauses (p99)",
            [
                (
                    f"histogram_quantile(0.99, sum by (instance, le) "
                    f"(rate(mention_router_event_loop_lag_seconds_bucket[{rate}])))",
                    "{{instance}} loop lag",
                ),
                (
                    f"histogram_quantile(0.99, sum by (instance, le) "
                    f"(rate(mention_router_gc_pause_seconds_bucket[{rate}])))",
                    "{{instance}} GC pause",
                ),
            ],
            "s",
        ),
        panel(
            lay,
            "Rebalances (15m)",
            [("sum by (instance, stage) (increase(mention_router_rebalances_total[15m]))", "{{instance}} {{stage}}")],
        ),
        panel(
            lay,
            "Assigned partitions",
            [("sum by (instance, stage) (mention_router_assigned_partitions)", "{{instance}} {{stage}}")],
            stack=True,
        ),
        panel(
            lay,
            "Since last commit",
            [
                (
                    "time() - max by (instance, stage) (mention_router_last_commit_timestamp_seconds)",
                    "{{instance}} {{stage}}",
                )
            ],
            "s",
        ),
        panel(
            lay,
            "Batch size (p50)",
            [
                (
                    f"histogram_quantile(0.5, sum by (stage, le) (rate(mention_router_batch_records_bucket[{rate}])))",
                    "{{stage}}",
                )
            ],
        ),
        panel(
            lay,
            "State keys",
            [
                ("sum by (instance, stage) (mention_router_state_keys)", "{{instance}} {{stage}}"),
                ("sum by (instance) (mention_router_dedupe_state_keys)", "{{instance}} dedupe window"),
                ("sum by (instance) (mention_router_customers)", "{{instance}} customers"),
            ],
        ),
        panel(
            lay,
            "State restore time (p99)",
            [
                (
                    "histogram_quantile(0.99, sum by (stage, le) "
                    "(rate(mention_router_state_restore_seconds_bucket[1h])))",
                    "{{stage}}",
                )
            ],
            "s",
        ),
        panel(
            lay,
            "Waves",
            [
                ("sum(mention_router_waves_open)", "open"),
                ("sum(increase(mention_router_waves_total[1h]))", "opened (1h)"),
            ],
        ),
        panel(
            lay,
            "Enricher failures",
            [(f"sum by (enricher) (rate(mention_router_enricher_failures_total[{rate}]))", "{{enricher}}")],
            "ops",
        ),
        panel(
            lay,
            "Lag exporter",
            [
                ("time() - max(mention_router_lag_last_refresh_timestamp_seconds)", "since last refresh (s)"),
                ("sum(increase(mention_router_lag_scrape_errors_total[15m]))", "errors (15m)"),
            ],
        ),
        panel(
            lay, "Build", [("count by (version) (mention_router_build_info)", "{{version}}")], "short", "stat", 24, 4
        ),
    ]
    return dashboard(
        "mention-router-workers",
        "Mention Router / Workers",
        "Per worker: throughput, per-record time, memory, CPU, rebalances, commits and state.",
        panels,
        [],
    )


# --- rules ---------------------------------------------------------------------------------------------


def sla_rules() -> str:
    ruleset = load_rules(DEFAULT_RULES)
    rules = [
        {
            "record": "mention_router:team_sla_seconds:max",
            "expr": f"vector({int(max(team.sla.values()).total_seconds())})",
            "labels": {"team": name},
        }
        for name, team in sorted(ruleset.teams.items())
        if team.sla
    ]
    header = (
        "# GENERATED by scripts/build_dashboards.py from streams/config/rules.yaml: do not edit;\n"
        "# run `make dashboards`.\n"
        "# Each team's most lenient first-response SLA (the loosest priority band), for alerts and dashboards.\n"
        "# SLA clocks count open calendar time; these thresholds are wall-clock seconds of that duration.\n"
    )
    body = {"groups": [{"name": "mention_router.sla", "rules": rules}]}
    return header + yaml.safe_dump(body, sort_keys=False, width=120)


def prometheus_rule(sla_text: str) -> str:
    groups: list[Any] = []
    for name in RULE_FILES:
        text = sla_text if name == "sla.yml" else (RULES_DIR / name).read_text()
        groups.extend(yaml.safe_load(text)["groups"])
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "mention-router",
            "labels": {"app.kubernetes.io/name": "mention-router", "app.kubernetes.io/component": "monitoring"},
        },
        "spec": {"groups": groups},
    }
    header = (
        "# GENERATED by scripts/build_dashboards.py from deploy/prometheus/rules/*.yml: do not edit;\n"
        "# run `make dashboards`. The same recording rules and alerts, for prometheus-operator.\n"
    )
    return header + yaml.safe_dump(resource, sort_keys=False, width=120)


def dashboard_configmaps(files: dict[Path, str]) -> str:
    """One ConfigMap per dashboard, labelled for the Grafana sidecar (kube-prometheus-stack's default label)."""
    maps = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"mention-router-dashboard-{path.stem}",
                "labels": {"grafana_dashboard": "1", "app.kubernetes.io/component": "monitoring"},
                "annotations": {"grafana_folder": "Mention Router"},
            },
            "data": {path.name: text},
        }
        for path, text in sorted(files.items())
        if path.parent == DASHBOARDS
    ]
    header = (
        "# GENERATED by scripts/build_dashboards.py: do not edit; run `make dashboards`.\n"
        "# The dashboards of deploy/grafana/dashboards/ for Grafana's sidecar (label grafana_dashboard=1).\n"
    )
    return header + "---\n".join(yaml.safe_dump(m, sort_keys=False, width=120) for m in maps)


def build() -> dict[Path, str]:
    """Every generated file and its content."""
    files = {
        DASHBOARDS / f"{name}.json": json.dumps(board, indent=2, sort_keys=True) + "\n"
        for name, board in (("overview", overview()), ("teams", teams()), ("workers", workers()))
    }
    files[DASHBOARD_CONFIGMAPS] = dashboard_configmaps(files)
    sla_text = sla_rules()
    files[RULES_DIR / "sla.yml"] = sla_text
    files[PROMETHEUS_RULE] = prometheus_rule(sla_text)
    return files


DEFAULT_RUNBOOK = "docs/runbook.md"
DEFAULT_JOB = 'job="mention-router"'


def customised(runbook_url: str, job_selector: str) -> dict[Path, str]:
    """Every monitoring file for one deployment, relative to deploy/: alerts link to ``runbook_url#<alert>``
    and select ``job_selector`` instead of the repository defaults."""
    files = build()
    files.update({RULES_DIR / name: (RULES_DIR / name).read_text() for name in RULE_FILES if name != "sla.yml"})
    link = re.compile(
        r'(runbook_url: "?)' + re.escape(DEFAULT_RUNBOOK) + "#"
    )  # quoted in alerts.yml, not in YAML dumps
    base = runbook_url.rstrip("#").replace("\\", "\\\\")
    return {
        path.relative_to(ROOT / "deploy"): link.sub(rf"\g<1>{base}#", text).replace(DEFAULT_JOB, job_selector)
        for path, text in files.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if a committed file is stale")
    parser.add_argument("--out", type=Path, help="write a deployment's copy here instead of the repository's")
    parser.add_argument("--runbook-url", default=DEFAULT_RUNBOOK, help="where the alerts' runbook is served")
    parser.add_argument("--job-selector", default=DEFAULT_JOB, help="the Prometheus job of the router's workers")
    args = parser.parse_args()
    if args.out is not None:
        for relative, text in customised(args.runbook_url, args.job_selector).items():
            target = args.out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            print(f"wrote {target}")
        return 0
    stale = []
    for path, text in build().items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale (run `make dashboards`): " + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
