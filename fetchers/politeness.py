"""Per-host pacing: at most one request start per interval for each host."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

# A Crawl-delay longer than this is capped: the run would otherwise stall for hours.
MAX_CRAWL_DELAY = 60.0


class HostPacer:
    """Spaces requests to each host by its rate limit or Crawl-delay."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._next: dict[str, float] = {}

    async def turn(self, host: str, interval: float) -> None:
        """Wait until ``host`` may get its next request, then book the slot after it."""
        async with self._locks[host]:
            wait = self._next.get(host, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next[host] = time.monotonic() + min(interval, MAX_CRAWL_DELAY)

    def defer(self, host: str, seconds: float) -> None:
        """Keep the host quiet for ``seconds`` (a 429 or 503 asked for it)."""
        self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + seconds)
