"""Recording rules and alerts: valid for promtool, tested with promtool, named and annotated alike.

promtool is installed by `make test` (deploy/system-deps.sh); without it these tests fail, not skip.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules"
TESTS = ROOT / "deploy/prometheus/tests"
RUNBOOK = ROOT / "docs/runbook.md"
RULE_FILES = sorted(RULES.glob("*.yml"))
REQUIRED_ALERTS = {
    "MentionRouterSLABreachesRising",
    "MentionRouterOldestUnansweredBeyondSLA",
    "MentionRouterDeadLetterRate",
    "MentionRouterConsumerLagGrowing",
    "MentionRouterWorkerDown",
    "MentionRouterNoInputForChannel",
    "MentionRouterCommitsStalled",
}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: `make test` installs it (deploy/system-deps.sh)")
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, check=False, timeout=120)


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load((RULES / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def duration_minutes(text: str) -> int:
    match = re.fullmatch(r"(\d+)([mh])", text)
    assert match, f"for: {text!r} (use minutes or hours)"
    return int(match[1]) * (60 if match[2] == "h" else 1)


def test_rule_files_are_valid() -> None:
    assert {p.name for p in RULE_FILES} >= {"recording.yml", "alerts.yml", "sla.yml"}
    result = run_promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_tests_pass() -> None:
    tests = sorted(TESTS.glob("*.yml"))
    assert tests
    result = run_promtool("test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_named_labelled_and_annotated() -> None:
    found = alerts()
    names = [a["alert"] for a in found]
    assert len(names) == len(set(names)), "alert names are unique"
    assert set(names) >= REQUIRED_ALERTS
    anchors = {
        "#" + re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^## (.+)$", RUNBOOK.read_text(), re.MULTILINE)
    }
    for alert in found:
        name = alert["alert"]
        assert re.fullmatch(r"MentionRouter[A-Z][A-Za-z]+", name), name
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert set(alert["annotations"]) >= {"summary", "description", "runbook_url"}, name
        path, _, anchor = alert["annotations"]["runbook_url"].partition("#")
        assert path == "docs/runbook.md", name
        assert f"#{anchor}" in anchors, f"{name}: docs/runbook.md has no section #{anchor}"
        assert anchor == name.lower(), name
        assert "for" in alert, f"{name} needs a `for:` so one bad scrape does not page"


def test_every_alert_is_tested_silent_one_step_before_its_for_and_firing_at_it() -> None:
    cases: dict[str, list[tuple[int, bool, int]]] = {}
    for path in TESTS.glob("*.yml"):
        spec = yaml.safe_load(path.read_text())
        step = duration_minutes(str(spec.get("evaluation_interval", "1m")))
        for test in spec["tests"]:
            for case in test.get("alert_rule_test", []):
                minutes = duration_minutes(str(case["eval_time"]))
                cases.setdefault(case["alertname"], []).append((minutes, bool(case.get("exp_alerts")), step))
    for alert in alerts():
        name, hold = alert["alert"], duration_minutes(alert["for"])
        seen = cases.get(name)
        assert seen, f"{name} has no promtool test"
        firing = [m for m, fires, _ in seen if fires]
        assert firing, f"{name}: no case where it fires"
        # The condition first holds at T; the test fires at T + for and is silent one evaluation earlier.
        assert any((m - step, False, step) in seen for m, fires, step in seen if fires), (
            f"{name}: no silent case one evaluation before a firing one"
        )
        assert all(m >= hold for m in firing), f"{name}: fires before its for: {alert['for']}"


def test_sla_thresholds_cover_every_team_with_an_sla() -> None:
    from streams.routing import load_rules
    from streams.settings import DEFAULT_RULES

    rules = yaml.safe_load((RULES / "sla.yml").read_text())["groups"][0]["rules"]
    teams = {r["labels"]["team"]: r["expr"] for r in rules}
    ruleset = load_rules(DEFAULT_RULES)
    assert set(teams) == {name for name, team in ruleset.teams.items() if team.sla}
    for name, expr in teams.items():
        assert expr == f"vector({int(max(ruleset.teams[name].sla.values()).total_seconds())})"


def test_prometheus_config_loads_the_rules_and_alertmanager() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    assert config["rule_files"] == ["rules/*.yml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert "mention-router" in jobs  # the alerts and dashboards select job="mention-router"
    result = run_promtool("check", "config", str(ROOT / "deploy/prometheus/prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_operations_guide_explains_every_alert_with_its_runbook_link() -> None:
    guide = (ROOT / "docs/operations.md").read_text()
    for alert in alerts():
        name = alert["alert"]
        assert f"| {name} |" in guide, f"docs/operations.md does not list {name}"
        assert f"(runbook.md#{name.lower()})" in guide, name


def test_a_deployment_gets_absolute_runbook_links_and_its_own_job_selector(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_dashboards", ROOT / "scripts/build_dashboards.py")
    assert spec is not None
    assert spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    files = builder.customised("https://wiki.acme.test/sre/mention-router.md", 'job="router", env="prod"')
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    rules = sorted((tmp_path / "prometheus/rules").glob("*.yml"))
    assert [r.name for r in rules] == ["alerts.yml", "recording.yml", "sla.yml"]
    assert run_promtool("check", "rules", *map(str, rules)).returncode == 0
    for path in (tmp_path / "prometheus/rules/alerts.yml", tmp_path / "k8s/prometheusrule.yaml"):
        text = path.read_text()
        assert 'job="mention-router"' not in text
        assert 'up{job="router", env="prod"}' in text
        assert '"docs/runbook.md#' not in text
    operator_rules = yaml.safe_load((tmp_path / "k8s/prometheusrule.yaml").read_text())["spec"]["groups"]
    for groups in (yaml.safe_load((tmp_path / "prometheus/rules/alerts.yml").read_text())["groups"], operator_rules):
        alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
        assert alerts
        for alert in alerts:
            url = alert["annotations"]["runbook_url"]
            assert url == f"https://wiki.acme.test/sre/mention-router.md#{alert['alert'].lower()}"
