"""The `mention-router` command: worker, kafka, topics, replay, demo, rules."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import click

from streams.broker import local
from streams.settings import Settings


def _settings() -> Settings:
    return Settings()


class _Commands(click.Group):
    """Turns the failures a user can cause (a setting, a file, no broker, no Java) into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:
            from streams.cli_errors import explain

            explained = explain(exc, _bootstrap())
            if explained is None:
                raise
            error = click.ClickException(explained.message)
            error.exit_code = explained.exit_code
            raise error from exc


def _bootstrap() -> str | None:
    try:
        return Settings().bootstrap_servers
    except Exception:  # the settings themselves are what failed
        return None


@click.group(cls=_Commands)
@click.version_option(package_name="mention-router", prog_name="mention-router")
def main() -> None:
    """Route brand mentions from social channels to the team that answers them."""


@main.command()
@click.option(
    "--stages", default=None, help="Comma-separated subset of dedupe,enrich,track (default: all; enrich also routes)."
)
@click.option("--loglevel", default=None, type=click.Choice(["debug", "info", "warn", "error"]))
def worker(stages: str | None, loglevel: str | None) -> None:
    """Run a worker: the configured stages, consuming in their consumer groups."""
    from streams.admin import ensure_topics
    from streams.app import RouterWorker, create_app
    from streams.metrics import Metrics
    from streams.observability.health import EXIT_FATAL, Health, serve
    from streams.routing import load_rules
    from streams.routing.calendar import holiday_warnings
    from streams.runtime import heap

    overrides = {"stages": stages} if stages else {}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    _use_uvloop()
    rules = load_rules(settings.rules_path)
    for warning in holiday_warnings(rules.calendars.values(), datetime.now(UTC).date()):
        logging.getLogger(__name__).warning("rules file %s: %s", settings.rules_path, warning)
    ensure_topics(settings, rules)
    metrics = Metrics()
    health = Health()
    if settings.metrics_port:
        try:
            serve(metrics.registry, health, settings.metrics_host, settings.metrics_port)
        except OSError as exc:
            raise click.ClickException(
                f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} ({exc.strerror}); "
                "set MENTION_ROUTER_METRICS_PORT to a free port, or 0 to disable"
            ) from exc
    app = create_app(settings, metrics, rules, health)
    heap.settle()  # everything loaded so far lives as long as the worker
    heap.observe_pauses(metrics.gc_pauses)
    level = loglevel or {"WARNING": "warn"}.get(settings.log_level, settings.log_level.lower())
    try:
        RouterWorker(app, loglevel=level, quiet=True).execute_from_commandline()
    except SystemExit:
        if health.failed:  # the orchestrator must see a failure and restart the worker
            raise SystemExit(EXIT_FATAL) from None
        raise


def _use_uvloop() -> None:
    try:
        import asyncio

        import uvloop
    except ImportError:  # pragma: no cover - optional on platforms without it
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


@main.group()
def kafka() -> None:
    """Manage the local single-node Apache Kafka broker (development and tests)."""


def _broker(port: int, home: Path | None) -> local.BrokerConfig:
    return local.BrokerConfig(home=home or local.default_cache_dir() / "broker", port=port, controller_port=port + 1)


_port = click.option("--port", default=9092, show_default=True, help="Client port on 127.0.0.1 (controller: +1).")
_home = click.option("--home", type=click.Path(path_type=Path), default=None, help="Data/log folder.")


@kafka.command("up")
@_port
@_home
def kafka_up(port: int, home: Path | None) -> None:
    """Fetch (once), format and start the broker; return when it is ready."""
    config = _broker(port, home)
    pid = local.start(config)  # a BrokerError is one line and exit 69 (streams.cli_errors)
    click.echo(f"Apache Kafka {local.KAFKA_VERSION} ready on {config.bootstrap} (pid {pid}); log: {config.server_log}")


@kafka.command("down")
@_port
@_home
def kafka_down(port: int, home: Path | None) -> None:
    """Stop the broker (controlled shutdown)."""
    config = _broker(port, home)
    click.echo("stopped" if local.stop(config) else "not running")


@kafka.command("status")
@_port
@_home
def kafka_status(port: int, home: Path | None) -> None:
    """Say whether the broker runs and is ready; exit 1 if not."""
    config = _broker(port, home)
    pid = local.read_pid(config)
    ready = pid is not None and local.is_ready(config)
    click.echo(f"{'ready' if ready else 'not ready'} pid={pid} bootstrap={config.bootstrap} log={config.server_log}")
    sys.exit(0 if ready else 1)


@main.group()
def topics() -> None:
    """Topic administration."""


@topics.command("create")
def topics_create() -> None:
    """Create every topic the router uses (idempotent)."""
    from streams.admin import ensure_topics, topics_for
    from streams.routing import load_rules

    settings = _settings()
    teams = load_rules(settings.rules_path)
    created = ensure_topics(settings, teams)
    for name in topics_for(settings, teams):
        click.echo(f"{'created' if name in created else 'exists '} {name}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path, allow_dash=True, exists=True, dir_okay=False, readable=True))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "twcs"]), default="jsonl", show_default=True)
@click.option("--rate", type=float, default=None, help="Records per second (default: as fast as possible).")
@click.option("--limit", type=int, default=None, help="Stop after this many records.")
def replay(path: Path, fmt: str, rate: float | None, limit: int | None) -> None:
    """Produce mentions from a JSON Lines file or a twcs CSV to mentions.raw."""
    from streams.replay import replay_file

    result = replay_file(_settings(), path, fmt, rate, limit)
    click.echo(f"produced {result.produced} records to mentions.raw")
    if result.skipped_by_reader:
        click.echo(f"{result.skipped_by_reader} of them could not be mapped to a mention; the router dead-letters them")


@main.command()
@click.option("--count", default=5000, show_default=True, help="Mentions to generate.")
@click.option("--rate", default=500.0, show_default=True, help="Mentions per second.")
@click.option("--seed", default=7, show_default=True)
@click.option("--keep-broker", is_flag=True, help="Leave the broker running afterwards.")
def demo(count: int, rate: float, seed: int, keep_broker: bool) -> None:
    """Start a local broker and a worker, stream generated mentions, show routing live."""
    from streams.demo import run_demo

    logging.basicConfig(level=logging.WARNING)
    sys.exit(run_demo(count, rate, seed, keep_broker))


@main.command("eval")
@click.option(
    "--data",
    "data_root",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder with the labelled data sets (umsab/, airline-sentiment/; twcs-sample/ adds cross-domain "
    "complaint figures).",
)
@click.option("--task", default=None, help="Comma-separated subset of language,sentiment,complaint (default: all).")
@click.option("--split", type=click.Choice(["val", "train"]), default="val", show_default=True)
@click.option("--limit", type=int, default=None, help="At most this many rows per source.")
def evaluate(data_root: Path, task: str | None, split: str, limit: int | None) -> None:
    """Score language, sentiment and complaint detection on labelled files (accuracy, per-class P/R/F1, macro-F1)."""
    from streams.evaluation import eval_command

    sys.exit(eval_command(data_root, task, split, limit))


@main.command("reroute")
@click.option("--since", required=True, help="ISO time, e.g. 2026-11-28T09:00:00Z: mentions ingested from then on.")
@click.option("--until", default=None, help="ISO time to stop at (default: the end of the topic now).")
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Rules file to apply (default: the configured one).",
)
def reroute_command(since: str, until: str | None, rules_path: Path | None) -> None:
    """Route enriched mentions again (e.g. after fixing a rule); records are marked rerouted."""
    from streams.admin import ensure_topics
    from streams.reroute import reroute
    from streams.routing import RulesError, load_rules

    settings = _settings()
    try:
        rules = load_rules(rules_path or settings.rules_path)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    ensure_topics(settings, rules)
    result = reroute(settings, rules, _parse_time(since), _parse_time(until) if until else None)
    teams = ", ".join(f"{team} {count}" for team, count in sorted(result.by_team.items()))
    click.echo(f"rerouted {result.rerouted} of {result.read} mentions with rules {rules.version}: {teams or 'none'}")
    if result.skipped:
        click.echo(f"{result.skipped} records were not enriched mentions and were skipped")


def _parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"'{text}' is not an ISO time such as 2026-11-28T09:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@main.group()
def report() -> None:
    """Reports computed from the router's topics."""


@report.command("response-times")
@click.option("--by", type=click.Choice(["team", "brand"]), default="team", show_default=True)
def report_response_times(by: str) -> None:
    """Median and p90 first-response minutes per team or brand account, from mentions.response_times."""
    from streams.reports import first_responses
    from streams.tracking.report import format_report, response_time_report

    settings = _settings()
    rows = response_time_report(first_responses(settings), by="brand" if by == "brand" else "team")
    if not rows:
        click.echo("no first responses recorded yet")
        return
    click.echo(format_report(rows, by="brand" if by == "brand" else "team"), nl=False)


@main.group()
def rules() -> None:
    """Routing rules."""


@rules.command("check")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def rules_check(path: Path) -> None:
    """Validate a rules file; print each error with its line number, and warnings (holidays running out)."""
    from streams.routing import check_rules_file, load_rules
    from streams.routing.calendar import holiday_warnings

    issues = check_rules_file(path)
    for issue in issues:
        click.echo(str(issue), err=True)
    if issues:
        sys.exit(1)
    for warning in holiday_warnings(load_rules(path).calendars.values(), datetime.now(UTC).date()):
        click.echo(f"{path}: warning: {warning}", err=True)
    click.echo(f"{path}: ok")


@rules.command("diff")
@click.argument("new_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--since", default=None, help="ISO time: mentions ingested from then on (default: all retained history).")
@click.option("--until", default=None, help="ISO time to stop at (default: the end of mentions.enriched now).")
@click.option(
    "--current",
    "current_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="The rules in force (default: the configured file).",
)
@click.option("--examples", type=click.IntRange(0, 50), default=3, show_default=True, help="Example mentions per move.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for a rules pull-request check).")
def rules_diff(
    new_file: Path, since: str | None, until: str | None, current_path: Path | None, examples: int, as_json: bool
) -> None:
    """What NEW_FILE would change: enriched history decided with the rules in force and with NEW_FILE.

    Writes nothing. Exits 1 when a rules file is invalid (69 when the broker cannot be reached), else 0."""
    from streams.history import enriched_history
    from streams.routing import RulesError, load_rules
    from streams.routing.diff import RulesDiff, format_report, to_dict

    settings = _settings()
    loaded = []
    for path in (current_path or settings.rules_path, new_file):
        try:
            loaded.append(load_rules(path))
        except RulesError as exc:
            raise click.ClickException(str(exc)) from exc
    diff = RulesDiff(loaded[0], loaded[1], examples=examples)
    history = enriched_history(settings, _parse_time(since) if since else None, _parse_time(until) if until else None)
    for record in history:
        if record.value is not None:
            diff.add(record.value)
    if as_json:
        click.echo(json.dumps(to_dict(diff.report), indent=2))
    else:
        click.echo(format_report(diff.report), nl=False)


@rules.command("explain")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("mention_file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def rules_explain(path: Path, mention_file: BinaryIO, as_json: bool) -> None:
    """Which rule of PATH decides MENTION_FILE (a raw, enriched or routed mention as JSON; - for stdin), every
    condition evaluated with the value seen, the team, SLA due time and escalations. Sends nothing."""
    from streams.routing import RulesError, load_rules
    from streams.routing.explain import Explainer, format_explanation, to_dict
    from streams.rules_tools import SubjectError, read_subject

    try:
        rules = load_rules(path)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        subject = read_subject(mention_file.read())
    except SubjectError as exc:
        raise click.ClickException(str(exc)) from exc
    explanation = Explainer(rules).explain(subject.enriched, datetime.now(UTC))
    if as_json:
        doc = to_dict(explanation) | {"input": subject.kind, "routed_as": subject.routed_as}
        click.echo(json.dumps(doc, indent=2))
        return
    for note in subject.notes:
        click.echo(note)
    click.echo(format_explanation(explanation), nl=False)
    if subject.routed_as is not None:
        assert subject.route is not None
        differences = subject.differences(explanation.route)
        verdict = "differs from" if differences else "agrees with"
        detail = f": {', '.join(differences)}" if differences else ""
        click.echo(f"this {verdict} the record's own route (rules {subject.route.rules_version}){detail}")


if __name__ == "__main__":
    main()
