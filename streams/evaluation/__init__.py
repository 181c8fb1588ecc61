"""Offline evaluation of the enricher on labelled files: language, sentiment and complaint detection.

Pure modules (no Kafka, no faust). ``eval_command(data_root, tasks, split, limit)`` prints the report and
returns an exit status; ``run_eval`` returns it as data. See docs/evaluation.md.
"""

from __future__ import annotations

from streams.evaluation.report import TASKS, EvalReport, eval_command, parse_tasks, render_report, run_eval

__all__ = ["TASKS", "EvalReport", "eval_command", "parse_tasks", "render_report", "run_eval"]
