"""docker-compose.yml cannot run here (no Docker engine), so its structure is checked instead."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_pipeline_services() -> None:
    services = COMPOSE["services"]
    assert {"kafka", "topics", "router", "prometheus"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["router"]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_compose_mounts_only_files_that_exist() -> None:
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_compose_router_settings_are_real_settings() -> None:
    known = {f"MENTION_ROUTER_{name.upper()}" for name in Settings.model_fields}
    env = COMPOSE["x-router-env"]
    assert set(env) <= known, f"unknown settings: {set(env) - known}"
    Settings(**{k.removeprefix("MENTION_ROUTER_").lower(): v for k, v in env.items()})


def test_dockerfile_runs_as_non_root_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER router" in dockerfile
    assert "HEALTHCHECK" in dockerfile


def test_prometheus_config_is_valid() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is installed by `make test` (deploy/system-deps.sh)")
    result = subprocess.run(
        [promtool, "check", "config", str(ROOT / "deploy/prometheus/prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
