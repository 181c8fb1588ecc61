from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka.errors import KafkaTimeoutError

from streams.broker.local import BrokerError
from streams.cli import main
from streams.cli_errors import EXIT_UNAVAILABLE, EXIT_USAGE, explain
from streams.replay import count_lines
from streams.settings import DEFAULT_RULES


def test_rules_check_accepts_the_shipped_rules() -> None:
    result = CliRunner().invoke(main, ["rules", "check", str(DEFAULT_RULES)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": ok")


def test_rules_check_reports_errors_with_line_numbers(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        'version: "1"\n'
        "triage_team: triage\n"
        "teams:\n"
        "  - name: triage\n"
        "rules:\n"
        "  - id: typo\n"
        "    when: {field: enrichment.sentimnt, eq: negative}\n"
        "    then: {team: nowhere}\n"
    )
    result = CliRunner().invoke(main, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7:" in result.output
    assert "enrichment.sentimnt" in result.output
    assert f"{bad}:8:" in result.output
    assert "nowhere" in result.output


def test_kafka_status_says_not_ready_when_nothing_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["kafka", "status", "--home", str(tmp_path), "--port", "1"])
    assert result.exit_code == 1
    assert "not ready" in result.output


def test_version_is_the_installed_packages() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"mention-router, version {version('mention-router')}"


def test_bad_settings_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTION_ROUTER_STAGES", "dedupe,route")
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == EXIT_USAGE
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: invalid settings: MENTION_ROUTER_STAGES: ")
    assert "Traceback" not in result.output


def test_an_unreadable_replay_file_is_a_usage_error_before_any_broker_is_asked(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["replay", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == EXIT_USAGE
    assert "does not exist" in result.output


@pytest.mark.parametrize(
    ("exc", "start", "code"),
    [
        (KafkaTimeoutError("Unable to bootstrap"), "cannot reach Kafka at k1:9092 (KafkaTimeoutError); start one",
         EXIT_UNAVAILABLE),
        (BrokerError("java is not on PATH; Apache Kafka 4.x needs Java 17+\ndetails"), "java is not on PATH",
         EXIT_UNAVAILABLE),
        (BrokerError("port 127.0.0.1:9092 is already in use by another process"), "port 127.0.0.1:9092 is already",
         EXIT_UNAVAILABLE),
        (FileNotFoundError(2, "No such file or directory", "rules.yaml"),
         "cannot read rules.yaml: No such file or directory", EXIT_USAGE),
    ],
)  # fmt: skip
def test_failures_a_user_causes_are_explained_in_one_line(exc: BaseException, start: str, code: int) -> None:
    explained = explain(exc, "k1:9092")
    assert explained is not None
    assert explained.message.startswith(start)
    assert "\n" not in explained.message
    assert explained.exit_code == code


def test_a_bug_keeps_its_traceback() -> None:
    assert explain(KeyError("x")) is None


def test_replay_counts_lines_for_its_progress_total(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(b"{}\n{}\n{}")
    assert count_lines(path) == 3
    path.write_bytes(b"{}\n" * 5)
    assert count_lines(path) == 5
