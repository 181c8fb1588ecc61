"""One line for each failure a user can cause from the command line, with what to do about it.

``explain`` maps an exception to that line, or None for a bug (which keeps its traceback). The command group
in ``streams.cli`` prints it as ``Error: ...`` and exits with ``EXIT_USAGE`` (a setting, a file) or
``EXIT_UNAVAILABLE`` (a broker, a port, a tool this machine lacks).
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import ValidationError

from streams.broker.local import BrokerError

EXIT_USAGE = 2  # the command or its settings are wrong: fix and run again
EXIT_UNAVAILABLE = 69  # sysexits EX_UNAVAILABLE: something it needs is not there: start it and run again

# kafka-python's bootstrap timeout and aiokafka's connection error, by name: neither library is imported here.
_KAFKA_UNREACHABLE = ("KafkaConnectionError", "KafkaTimeoutError")


class Explained(NamedTuple):
    message: str
    exit_code: int


def explain(exc: BaseException, bootstrap: str | None = None) -> Explained | None:
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        problems = "; ".join(f"MENTION_ROUTER_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        return Explained(f"invalid settings: {problems}", EXIT_USAGE)
    if isinstance(exc, BrokerError):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Explained(first, EXIT_UNAVAILABLE)
    if type(exc).__name__ in _KAFKA_UNREACHABLE:
        where = f" at {bootstrap}" if bootstrap else ""
        return Explained(
            f"cannot reach Kafka{where} ({type(exc).__name__}); start one with `mention-router kafka up` "
            "or set MENTION_ROUTER_BOOTSTRAP_SERVERS",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return Explained(f"cannot read {exc.filename}: {exc.strerror}", EXIT_USAGE)
    if isinstance(exc, UnicodeDecodeError):
        return Explained(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})", EXIT_USAGE)
    return None
