"""deploy/k8s: structure, references between the manifests, real settings, and the generated PrometheusRule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
KNOWN_ENV = {f"MENTION_ROUTER_{name.upper()}" for name in Settings.model_fields}


def manifest(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((K8S / name).read_text())
    return doc


def all_manifests() -> dict[str, dict[str, Any]]:
    """Every document of every file (``grafana-dashboards.yaml#2``: a file's later documents)."""
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for n, doc in enumerate(yaml.safe_load_all(path.read_text())):
            docs[path.name if n == 0 else f"{path.name}#{n + 1}"] = doc
    return docs


def pod_spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = manifest(name)["spec"]["template"]["spec"]
    return spec


def test_kustomization_lists_files_that_exist_and_sets_no_namespace() -> None:
    kustomization = manifest("kustomization.yaml")
    assert "namespace" not in kustomization
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    assert "secret.example.yaml" not in kustomization["resources"], "real secrets are created, not committed"
    for name, doc in all_manifests().items():
        assert "namespace" not in doc.get("metadata", {}), f"{name} must be namespace-agnostic"


def test_expected_kinds() -> None:
    kinds = {doc["kind"]: name for name, doc in all_manifests().items()}
    assert {"Deployment", "Service", "ServiceMonitor", "PrometheusRule", "Job", "ConfigMap", "Secret"} <= set(kinds)


def test_env_names_are_real_settings_and_make_valid_settings() -> None:
    config = manifest("configmap.yaml")["data"]
    secret = manifest("secret.example.yaml")["stringData"]
    assert set(config) <= KNOWN_ENV, set(config) - KNOWN_ENV
    assert set(secret) <= KNOWN_ENV, set(secret) - KNOWN_ENV
    assert not {"MENTION_ROUTER_SASL_PASSWORD"} & set(config), "passwords belong in the Secret"
    settings = Settings(**{k.removeprefix("MENTION_ROUTER_").lower(): v for k, v in {**config, **secret}.items()})
    assert settings.security_protocol == "SASL_SSL"
    assert "change-me" not in repr(settings)
    for name in ("deployment.yaml", "job-topics.yaml"):
        for container in pod_spec(name)["containers"]:
            env = {e["name"] for e in container.get("env", [])}
            assert env <= KNOWN_ENV, env - KNOWN_ENV


def test_workloads_read_the_configmap_and_secret_that_exist() -> None:
    config_name = manifest("configmap.yaml")["metadata"]["name"]
    secret_name = manifest("secret.example.yaml")["metadata"]["name"]
    for name in ("deployment.yaml", "job-topics.yaml"):
        [container] = pod_spec(name)["containers"]
        refs = container["envFrom"]
        assert {"configMapRef": {"name": config_name}} in refs
        assert {"secretRef": {"name": secret_name, "optional": True}} in refs
        mounts = {m["name"] for m in container.get("volumeMounts", [])}
        volumes = {v["name"] for v in pod_spec(name).get("volumes", [])}
        assert mounts <= volumes, f"{name}: mounts without volumes {mounts - volumes}"


def test_deployment_probes_the_metrics_port_with_resources_and_non_root() -> None:
    spec = pod_spec("deployment.yaml")
    [container] = spec["containers"]
    [port] = container["ports"]
    config = manifest("configmap.yaml")["data"]
    assert port == {"name": "metrics", "containerPort": int(config["MENTION_ROUTER_METRICS_PORT"]), "protocol": "TCP"}
    assert config["MENTION_ROUTER_METRICS_HOST"] == "0.0.0.0"  # scraped from outside the pod
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert container[probe]["httpGet"] == {"path": path, "port": "metrics"}, probe
    assert spec["automountServiceAccountToken"] is False
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["args"] == ["worker"]
    assert spec["terminationGracePeriodSeconds"] >= 30


def test_service_and_servicemonitor_select_the_workers() -> None:
    deployment = manifest("deployment.yaml")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    service = manifest("service.yaml")
    assert service["metadata"]["name"] == "mention-router", "the Service name is the job label alerts select"
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["name"] == "metrics"
    monitor = manifest("servicemonitor.yaml")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def test_topics_job_runs_topics_create() -> None:
    job = manifest("job-topics.yaml")
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topics", "create"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}


def test_prometheusrule_carries_exactly_the_rule_files() -> None:
    groups: list[Any] = []
    for name in ("recording.yml", "sla.yml", "alerts.yml"):
        groups.extend(yaml.safe_load((ROOT / "deploy/prometheus/rules" / name).read_text())["groups"])
    rule = manifest("prometheusrule.yaml")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == groups


@pytest.mark.parametrize("phrase", ["MENTION_ROUTER_PARTITIONS", "Partitions bound the useful workers"])
def test_readme_explains_scaling(phrase: str) -> None:
    assert phrase in (K8S / "README.md").read_text()


def test_a_disruption_budget_and_a_network_policy_guard_the_workers() -> None:
    pod_labels = manifest("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    budget = manifest("poddisruptionbudget.yaml")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    policy = manifest("networkpolicy.yaml")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert rule["from"], "only named peers may reach the metrics port"
