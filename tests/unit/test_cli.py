from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from streams.cli import main
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
