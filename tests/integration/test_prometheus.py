"""A real Prometheus (the Debian `prometheus` binary) scraping a live worker on the real broker.

Prometheus runs on a free port with a temporary TSDB, a 1 s scrape and evaluation interval, and the
project's recording rules. Mentions go through the worker; the test then asks Prometheus's HTTP API
for the router's series, a recording rule and the consumer-group lag. `make test` installs
prometheus (deploy/system-deps.sh); without it this test fails rather than skips.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaProducer

from streams.broker import local
from tests.factories import make_mention
from tests.integration.conftest import Worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules"


class Prometheus:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr: str, check: Callable[[float], bool], timeout: float = 90.0) -> float:
        deadline = time.monotonic() + timeout
        last: float | None = None
        while time.monotonic() < deadline:
            last = self.value(expr)
            if last is not None and check(last):
                return last
            time.sleep(1)
        pytest.fail(f"{expr} = {last} after {timeout}s\n{self.log_tail()}")

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Callable[[Worker], Prometheus]]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus binary is missing: `make test` installs it (deploy/system-deps.sh)")
    started: list[Prometheus] = []

    def start(worker: Worker) -> Prometheus:
        port = local.free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES / "recording.yml"), str(RULES / "sla.yml")],
            "scrape_configs": [
                {"job_name": "mention-router", "static_configs": [{"targets": [f"127.0.0.1:{worker.metrics_port}"]}]}
            ],
        }
        config_path = tmp_path / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        log = tmp_path / "prometheus.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config_path}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--storage.tsdb.retention.time=1h",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        prometheus = Prometheus(f"http://127.0.0.1:{port}", process, log)
        started.append(prometheus)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"prometheus exited with {process.returncode}:\n{prometheus.log_tail()}")
            try:
                with urllib.request.urlopen(f"{prometheus.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return prometheus
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"prometheus not ready after 60s:\n{prometheus.log_tail()}")

    yield start
    for prometheus in started:
        prometheus.process.terminate()
        try:
            prometheus.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prometheus.process.kill()
            prometheus.process.wait()


def test_prometheus_scrapes_a_worker_records_rules_and_sees_the_lag(
    make_worker: Callable[..., Worker],
    producer: KafkaProducer,
    prometheus_for: Callable[[Worker], Prometheus],
) -> None:
    worker = make_worker()
    worker.start()
    prometheus = prometheus_for(worker)
    prometheus.wait_for('up{job="mention-router"}', lambda v: v == 1, timeout=30)

    count = 30
    for i in range(count):
        mention = make_mention(f"@AcmeAir my flight {i} was cancelled and nobody answers, worst service ever")
        producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode())
    producer.flush(30)

    routed = prometheus.wait_for("sum(mention_router_routed_total)", lambda v: v >= count)
    assert routed == count
    ingested = prometheus.value("sum(mention_router_mentions_ingested_total)")
    assert ingested == count
    # A recording rule, evaluated by Prometheus from the scraped counters.
    prometheus.wait_for("sum(mention_router:routed:rate5m)", lambda v: v > 0, timeout=30)
    by_team = prometheus.query("mention_router:routed:rate5m > 0")
    assert {series["metric"]["team"] for series in by_team} <= {"care", "vip", "triage", "legal"}
    # By team and priority, and per job (and namespace, where the scrape sets one) for the dashboards' variables.
    assert all(set(series["metric"]) - {"namespace"} == {"__name__", "job", "team", "priority"} for series in by_team)
    # The lag exporter: the dedupe group has read everything that was produced.
    group = f"{worker.prefix}router.dedupe"
    raw = worker.topic("raw")
    prometheus.wait_for(
        f'sum(kafka_consumergroup_current_offset{{consumergroup="{group}", topic="{raw}"}})',
        lambda v: v == count,
    )
    assert prometheus.value(f'sum(kafka_consumergroup_lag{{consumergroup="{group}", topic="{raw}"}})') == 0
    assert prometheus.value(f'sum(kafka_topic_partition_current_offset{{topic="{raw}"}})') == count
    prometheus.wait_for(f'mention_router:consumergroup_lag:max{{consumergroup="{group}"}}', lambda v: v == 0)
    # Worker health and standard process metrics reach Prometheus too.
    assert prometheus.value('max(mention_router_last_commit_timestamp_seconds{stage="enrich"})') is not None
    memory = prometheus.value('process_resident_memory_bytes{job="mention-router"}')
    assert memory is not None
    assert memory > 10_000_000
    assert prometheus.value('count(mention_router:team_sla_seconds:max{team="care"})') == 1
