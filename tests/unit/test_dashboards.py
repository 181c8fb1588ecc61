"""Grafana dashboards: generated, current, and every query valid PromQL over metrics that exist."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from streams.observability.lag import LagExporter
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy/grafana/dashboards"
PROVISIONING = ROOT / "deploy/grafana/provisioning"
# What Grafana substitutes at query time, with the widest values.
TEMPLATE_VALUES = {"$__rate_interval": "5m", "$team": ".*", "$brand": ".*", "$job": ".*", "$namespace": ".*"}
STANDARD_PREFIXES = ("process_", "kafka_consumergroup_", "kafka_topic_partition_")
STANDARD_NAMES = {"up"}
PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_dashboards", ROOT / "scripts/build_dashboards.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_dashboards"] = module
    spec.loader.exec_module(module)
    return module


def dashboards() -> dict[str, Any]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def exprs() -> list[tuple[str, str, str]]:
    """(dashboard, panel or annotation title, expr) for every query."""
    return [
        (name, panel["title"], target["expr"])
        for name, board in dashboards().items()
        for panel in panels(board)
        for target in panel.get("targets", [])
    ] + [
        (name, annotation["name"], annotation["expr"])
        for name, board in dashboards().items()
        for annotation in board["annotations"]["list"]
    ]


def substitute(expr: str) -> str:
    for variable, value in TEMPLATE_VALUES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown template variable in {expr}"
    return expr


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (label matchers, groupings, strings and ranges removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_WORDS or re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


def exported_names() -> set[str]:
    """Every sample name the router's registry can expose (by metric type), plus the lag exporter's."""
    registry = CollectorRegistry(auto_describe=True)
    Metrics(registry)
    LagExporter(Settings(), registry)
    names: set[str] = set()
    for family in registry.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(family.type, [""])
        names.update(family.name + suffix for suffix in suffixes)
    return names


def recording_rule_names() -> set[str]:
    names = set()
    for path in (ROOT / "deploy/prometheus/rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names.update(rule["record"] for rule in group["rules"] if "record" in rule)
    return names


def test_committed_files_equal_a_fresh_generation() -> None:
    stale = [str(path.relative_to(ROOT)) for path, text in load_builder().build().items() if path.read_text() != text]
    assert not stale, f"run `make dashboards`: stale {stale}"


def test_the_three_dashboards_and_their_layout() -> None:
    boards = dashboards()
    assert set(boards) == {"overview", "teams", "workers"}
    uids = {board["uid"] for board in boards.values()}
    assert uids == {"mention-router-overview", "mention-router-teams", "mention-router-workers"}
    datasource_uid = yaml.safe_load((PROVISIONING / "datasources/prometheus.yml").read_text())["datasources"][0]["uid"]
    for name, board in boards.items():
        [picker] = [v for v in board["templating"]["list"] if v["name"] == "datasource"]
        assert picker["current"]["value"] == datasource_uid, "the compose stack's Prometheus is the default"
        ids = [panel["id"] for panel in panels(board)]
        assert len(ids) == len(set(ids)), name
        for panel in panels(board):
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, (name, panel["title"])
            assert panel["datasource"]["uid"] == "${datasource}"
            assert panel["targets"], (name, panel["title"])
    for name in ("overview", "teams"):
        variables = {v["name"]: v for v in boards[name]["templating"]["list"] if v["name"] != "datasource"}
        assert set(variables) == {"job", "namespace", "team", "brand"}
        assert all(v["allValue"] == ".*" and v["multi"] for v in variables.values())


def test_the_dashboards_show_what_operators_asked_for() -> None:
    titles = {name: {panel["title"] for panel in panels(board)} for name, board in dashboards().items()}
    assert {"Throughput per stage", "Duplicates by kind", "Dead letters by reason", "Consumer lag (records)"} <= titles[
        "overview"
    ]
    assert {
        "Backlog by team and priority",
        "Oldest unanswered by team",
        "First response p50 / p90 / p99 by team and priority (1h)",
        "SLA breaches per hour",
        "Escalations per hour",
    } <= titles["teams"]
    assert {
        "Records / s per worker and stage",
        "Stage time per record (p99)",
        "Resident memory",
        "Rebalances (15m)",
    } <= (titles["workers"])
    teams_exprs = " ".join(expr for board, _, expr in exprs() if board == "teams")
    for quantile in ("0.5", "0.9", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (team, priority, le)" in teams_exprs


def test_every_expr_parses(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: `make test` installs it (deploy/system-deps.sh)")
    rules = [
        {"record": f"dashboard:{board}:{i}", "expr": substitute(expr)} for i, (board, _, expr) in enumerate(exprs())
    ]
    path = tmp_path / "dashboard_exprs.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_a_panel_uses_is_exported_or_standard() -> None:
    known = exported_names() | recording_rule_names() | STANDARD_NAMES
    unknown = {
        (board, title, name)
        for board, title, expr in exprs()
        for name in metric_names(substitute(expr))
        if name not in known and not name.startswith(STANDARD_PREFIXES)
    }
    assert not unknown, f"panels use metrics nobody exports: {sorted(unknown)}"


def test_the_metric_name_extractor() -> None:
    expr = 'histogram_quantile(0.9, sum by (team, le) (rate(a_bucket{team=~"x|y"}[5m]))) > on (team) b:c:max or up'
    assert metric_names(expr) == {"a_bucket", "b:c:max", "up"}


def test_recording_rules_use_only_exported_metrics() -> None:
    known = exported_names() | recording_rule_names() | STANDARD_NAMES
    for path in (ROOT / "deploy/prometheus/rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                unknown = {
                    name
                    for name in metric_names(rule["expr"])
                    if name not in known and not name.startswith(STANDARD_PREFIXES)
                }
                assert not unknown, f"{path.name}: {rule.get('record') or rule.get('alert')} uses {unknown}"


def test_grafana_provisioning_points_at_the_dashboards() -> None:
    provider = yaml.safe_load((PROVISIONING / "dashboards/mention-router.yml").read_text())["providers"][0]
    assert provider["type"] == "file"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in mounts


def test_every_exported_metric_is_documented() -> None:
    documented = set(re.findall(r"`([a-z_:]+)(?:\{[^`]*\})?`", (ROOT / "docs/metrics.md").read_text()))
    registry = CollectorRegistry(auto_describe=True)
    Metrics(registry)
    LagExporter(Settings(), registry)
    for family in registry.collect():
        if family.name.startswith("process_"):
            continue
        name = family.name + ("_total" if family.type == "counter" else "")
        assert name in documented, f"docs/metrics.md does not describe {name}"
    for rule in recording_rule_names():
        assert rule in documented or rule.rsplit(":", 1)[0] in (ROOT / "docs/metrics.md").read_text(), rule


def test_every_dashboard_picks_its_data_source_job_and_namespace_and_marks_reloads_and_restarts() -> None:
    for name, board in dashboards().items():
        variables = [v["name"] for v in board["templating"]["list"]]
        assert variables[:3] == ["datasource", "job", "namespace"], name
        uids = {t["datasource"]["uid"] for panel in panels(board) for t in panel.get("targets", [])}
        assert uids == {"${datasource}"}, name
        assert {a["name"] for a in board["annotations"]["list"]} == {"Rules reloads", "Worker restarts"}, name
    for board, title, expr in exprs():
        for selected in re.findall(r"(?<![\w:])(?:mention_router[_:]\w+|process_\w+|up)\{[^}]*\}", expr):
            if not selected.startswith("mention_router:team_sla_seconds:"):  # a constant per team
                assert 'job=~"$job", namespace=~"$namespace"' in selected, (board, title, selected)


def test_recording_rules_keep_job_and_namespace_for_the_dashboards_to_narrow() -> None:
    for group in yaml.safe_load((ROOT / "deploy/prometheus/rules/recording.yml").read_text())["groups"]:
        for rule in group["rules"]:
            groupings = re.findall(r"\b(?:sum|max|min|avg|count) by \(([^)]*)\)", rule["expr"])
            assert groupings, rule["record"]
            assert all({"job", "namespace"} <= {g.strip() for g in by.split(",")} for by in groupings), rule["record"]


def test_the_scope_is_added_to_every_selector_but_the_sla_constants() -> None:
    builder = load_builder()
    assert builder.scoped('sum(rate(mention_router_routed_total{team="a"}[5m])) / up') == (
        'sum(rate(mention_router_routed_total{job=~"$job", namespace=~"$namespace", team="a"}[5m])) / '
        'up{job=~"$job", namespace=~"$namespace"}'
    )
    assert builder.scoped('mention_router:routed:rate5m{team=~"x"}') == (
        'mention_router:routed:rate5m{job=~"$job", namespace=~"$namespace", team=~"x"}'
    )
    assert builder.scoped("mention_router:team_sla_seconds:max") == "mention_router:team_sla_seconds:max"


def test_the_dashboards_ship_as_configmaps_for_grafanas_sidecar() -> None:
    maps = list(yaml.safe_load_all((ROOT / "deploy/k8s/grafana-dashboards.yaml").read_text()))
    assert {m["metadata"]["name"] for m in maps} == {f"mention-router-dashboard-{n}" for n in dashboards()}
    for configmap in maps:
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
        [(file_name, text)] = configmap["data"].items()
        assert json.loads(text) == dashboards()[file_name.removesuffix(".json")]
