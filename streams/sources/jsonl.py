"""Reader for JSON-lines files of mentions, one record per line, as (key, value) pairs for the raw topic.

The reader does not validate: the router does, so a broken line is still produced and ends up on the
dead-letter topic instead of silently vanishing here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from os import PathLike
from pathlib import Path

import orjson

STDIN_PATH = "-"


def read_jsonl(path: str | PathLike[str]) -> Iterator[tuple[bytes | None, bytes]]:
    """Yield (key, value) for every non-blank line of ``path`` ('-' reads stdin).

    value is the line's bytes exactly as in the file minus the line ending ("\\n" or "\\r\\n"); key is
    the line's "id" when the line is a JSON object with a non-empty string id, else None.
    """
    if str(path) == STDIN_PATH:
        yield from _records(sys.stdin.buffer)
        return
    with Path(path).open("rb") as jsonl_file:
        yield from _records(jsonl_file)


def _records(lines: Iterable[bytes]) -> Iterator[tuple[bytes | None, bytes]]:
    # Binary iteration splits on b"\n" only, so a stray "\r" inside a line stays part of the value.
    for line in lines:
        value = line[:-1] if line.endswith(b"\n") else line
        if value.endswith(b"\r"):
            value = value[:-1]
        if not value.strip():
            continue
        yield _key_of(value), value


def _key_of(value: bytes) -> bytes | None:
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError:  # also raised for bytes that are not UTF-8
        return None
    if isinstance(record, dict):
        record_id = record.get("id")
        if isinstance(record_id, str) and record_id:
            return record_id.encode()
    return None
