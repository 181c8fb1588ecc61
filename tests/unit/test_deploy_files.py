"""docker-compose.yml cannot run here (no Docker engine), so its structure is checked instead."""

from __future__ import annotations

import inspect
import logging
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer
from kafka.admin import KafkaAdminClient
from pydantic import SecretStr

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_pipeline_services() -> None:
    services = COMPOSE["services"]
    assert {"kafka", "topics", "router", "prometheus", "alertmanager", "grafana"} <= set(services)
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


def test_compose_workers_scale() -> None:
    router = COMPOSE["services"]["router"]
    assert "container_name" not in router, "a fixed name prevents --scale"
    assert "ports" not in router, "host ports clash between replicas"
    assert router["command"] == ["worker"]
    assert COMPOSE["services"]["topics"]["command"] == ["topics", "create"]
    assert COMPOSE["services"]["topics"]["restart"] == "no"


def test_compose_prometheus_loads_the_rules_and_grafana_the_dashboards() -> None:
    services = COMPOSE["services"]
    assert "./deploy/prometheus/rules:/etc/prometheus/rules:ro" in services["prometheus"]["volumes"]
    assert (
        "./deploy/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro"
        in (services["alertmanager"]["volumes"])
    )
    grafana = services["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning/datasources:/etc/grafana/provisioning/datasources:ro" in grafana
    assert "./deploy/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro" in grafana
    for name in ("prometheus", "alertmanager", "grafana"):
        for port in services[name].get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_alertmanager_routes_by_severity_and_inhibits_real_alerts() -> None:
    config = yaml.safe_load((ROOT / "deploy/alertmanager/alertmanager.yml").read_text())
    receivers = {r["name"] for r in config["receivers"]}
    assert config["route"]["receiver"] in receivers
    assert all(route["receiver"] in receivers for route in config["route"]["routes"])
    alerts = (ROOT / "deploy/prometheus/rules/alerts.yml").read_text()
    for rule in config["inhibit_rules"]:
        source = rule["source_matchers"][0].split('"')[1]
        assert f"alert: {source}\n" in alerts, source


def test_dockerfile_runs_as_non_root_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER 10001:10001" in dockerfile
    assert "useradd --uid 10001" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "MENTION_ROUTER_METRICS_PORT" in dockerfile.split("HEALTHCHECK", 1)[1]
    assert dockerfile.count("FROM python:3.11-slim") == 2, "multi-stage on the slim image"
    build_stage = dockerfile.split("FROM python:3.11-slim", 2)[1]
    assert "setup.py" in build_stage, "the wheel is built with the C featuriser"
    assert "gcc" in build_stage, "the wheel is built with the C featuriser"


def test_metrics_listen_on_loopback_unless_told_otherwise() -> None:
    assert Settings().metrics_host == "127.0.0.1"
    assert Settings.model_fields["metrics_host"].default == "127.0.0.1"


def test_sasl_ssl_settings_give_kafka_clients_tls_and_credentials_and_hide_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="router",
        sasl_password=SecretStr("s3cr3t-pw"),
        bootstrap_servers="kafka-1:9093,kafka-2:9093",
    )
    kwargs = settings.kafka_client_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert kwargs["ssl_context"].check_hostname
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "router"
    assert kwargs["sasl_plain_password"] == "s3cr3t-pw"
    # The same arguments suit kafka-python's admin client (lag exporter, topics) and aiokafka.
    assert set(kwargs) <= set(KafkaAdminClient.DEFAULT_CONFIG)
    assert set(kwargs) <= set(inspect.signature(AIOKafkaConsumer.__init__).parameters)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("streams.test").info("settings: %s %r", settings, settings)
    for text in (repr(settings), str(settings), settings.model_dump_json(), caplog.text):
        assert "s3cr3t-pw" not in text


def a_ca_certificate() -> str:
    """The first certificate of the system's (or certifi's) CA bundle."""
    bundle = ssl.get_default_verify_paths().cafile
    if bundle is None or not Path(bundle).is_file():
        import certifi

        bundle = certifi.where()
    text = Path(bundle).read_text()
    end = "-----END CERTIFICATE-----"
    return text[text.index("-----BEGIN CERTIFICATE-----") : text.index(end) + len(end)] + "\n"


def test_ssl_settings_use_the_ca_file_and_send_no_credentials(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(a_ca_certificate())
    kwargs = Settings(security_protocol="SSL", ssl_cafile=ca).kafka_client_kwargs()
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["ssl_context"].cert_store_stats()["x509_ca"] == 1, "exactly the configured CA"
    assert not {"sasl_mechanism", "sasl_plain_username", "sasl_plain_password"} & set(kwargs)
    assert "ssl_context" not in Settings().kafka_client_kwargs(), "PLAINTEXT by default"


def test_sasl_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTION_ROUTER_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("MENTION_ROUTER_SASL_USERNAME", "router")
    monkeypatch.setenv("MENTION_ROUTER_SASL_PASSWORD", "from-env-pw")
    with pytest.raises(ValueError, match="unencrypted") as refused:
        Settings()  # PLAIN over plaintext sends the password in clear: refused unless allowed
    assert "from-env-pw" not in str(refused.value)
    monkeypatch.setenv("MENTION_ROUTER_ALLOW_PLAINTEXT_PASSWORD", "true")
    settings = Settings()
    assert settings.kafka_client_kwargs()["sasl_plain_password"] == "from-env-pw"
    assert settings.kafka_client_kwargs()["sasl_mechanism"] == "PLAIN"
    assert "from-env-pw" not in repr(settings)


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


def test_compose_confines_the_workers() -> None:
    router = COMPOSE["services"]["router"]
    assert router["read_only"] is True
    assert router["cap_drop"] == ["ALL"]
    assert router["mem_limit"]
    assert router["cpus"]
    assert "no-new-privileges:true" in router["security_opt"]


def test_the_image_health_check_asks_for_liveness() -> None:
    assert "/healthz" in (ROOT / "Dockerfile").read_text().split("HEALTHCHECK", 1)[1]
