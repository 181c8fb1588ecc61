"""``python -m streams.evaluation --data DIR [--task ...] [--split val|train] [--limit N]``.

The same as ``mention-router eval``; handy before (or without) the CLI wiring.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from streams.evaluation.datasets import SPLITS
from streams.evaluation.report import TASKS, eval_command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.evaluation", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="Data root holding umsab/ and airline-sentiment/.")
    parser.add_argument("--task", default=",".join(TASKS), help="Comma-separated subset of %(default)s.")
    parser.add_argument("--split", choices=SPLITS, default="val")
    parser.add_argument("--limit", type=int, default=None, help="At most N rows per source.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return eval_command(args.data, args.task, args.split, args.limit)


if __name__ == "__main__":
    sys.exit(main())
