"""Hot reload of the rules file: every worker polls it and swaps in a new version that loads.

Polling the file (not inotify) works for a ConfigMap volume, a bind mount and a plain edit alike:
Kubernetes swaps a ConfigMap's files through a symlink, which inotify on the old inode misses. A
file that does not load is refused with its issues logged; the running rules stay in force.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mode import Service

from streams.metrics import Metrics
from streams.routing import RulesError, RuleSet, load_rules
from streams.routing.calendar import holiday_warnings

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class RulesWatcher(Service):
    """Polls ``path``; on a change that loads, prepares the new rules (``prepare``, e.g. creating new
    teams' topics, off the event loop) and hands them to ``apply``."""

    def __init__(
        self,
        path: Path,
        current: RuleSet,
        metrics: Metrics,
        apply: Callable[[RuleSet], None],
        prepare: Callable[[RuleSet], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.path = Path(path)
        self.current = current
        self.metrics = metrics
        self._apply = apply
        self._prepare = prepare
        self._digest = file_digest(self.path)
        metrics.rules_info.labels(version=current.version).set(1)
        super().__init__(**kwargs)

    @Service.timer(POLL_SECONDS)
    async def _poll(self) -> None:
        await self.check()

    async def check(self) -> bool:
        """Load the file if it changed; return True when new rules were applied."""
        digest = await asyncio.to_thread(file_digest, self.path)
        if digest is None or digest == self._digest:
            return False
        self._digest = digest
        try:
            rules = await asyncio.to_thread(load_rules, self.path)
            if self._prepare is not None:
                await asyncio.to_thread(self._prepare, rules)
        except RulesError as exc:
            self.metrics.rules_reloads.labels(result="error").inc()
            logger.error("rules file %s refused; version %s stays in force:\n%s", self.path, self.current.version, exc)
            return False
        except Exception:
            self.metrics.rules_reloads.labels(result="error").inc()
            logger.exception("rules file %s could not be applied; version %s stays", self.path, self.current.version)
            return False
        if rules.version == self.current.version:
            logger.warning("rules file %s changed but still says version %s: bump it", self.path, rules.version)
        self._apply(rules)
        self.metrics.rules_info.clear()
        self.metrics.rules_info.labels(version=rules.version).set(1)
        self.metrics.rules_reloads.labels(result="ok").inc()
        logger.info("rules version %s in force (was %s)", rules.version, self.current.version)
        for warning in holiday_warnings(rules.calendars.values(), datetime.now(UTC).date()):
            logger.warning("rules file %s: %s", self.path, warning)
        self.current = rules
        return True
