"""robots.txt, read once per host and run, interpreted as RFC 9309 says.

The rules are matched by Protego (Scrapy's RFC 9309 parser): the longest matching
rule wins (``Allow: /`` does not override a longer ``Disallow: /private/``), ``*``
and ``$`` are patterns, and the group for ``wic-etl`` is used before the ``*`` one.
A missing file (any 4xx) allows everything; a server error or a network failure
means the crawler cannot know the rules, so it assumes a full disallow for that
host and says so in each refused page's failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

from fetchers.politeness import MAX_CRAWL_DELAY

AGENT = "wic-etl"
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB


@dataclass(frozen=True)
class Robots:
    """A host's robots.txt rules (Protego) and its Crawl-delay."""

    parser: Protego | None  # None: everything allowed
    refusal: str | None = None  # why everything is disallowed, if it is

    @classmethod
    def from_response(cls, status: int, body: bytes) -> Robots:
        """The rules from a robots.txt response (RFC 9309: 4xx allows all, 5xx none)."""
        if 200 <= status < 300:
            # utf-8-sig: a leading BOM would otherwise glue itself to the first
            # "User-agent" and hide the whole group.
            text = body.decode("utf-8-sig", errors="replace")
            return cls(Protego.parse(text))
        if 400 <= status < 500:
            return cls(None)
        return cls(None, f"its robots.txt answered HTTP {status}")

    @classmethod
    def unreachable(cls, reason: str) -> Robots:
        """No robots.txt could be fetched: nothing is allowed on the host this run."""
        return cls(None, f"its robots.txt could not be fetched ({reason})")

    def allows(self, url: str) -> bool:
        """Whether the rules allow wic-etl to fetch ``url``."""
        if self.refusal is not None:
            return False
        return self.parser is None or self.parser.can_fetch(url, AGENT)

    def crawl_delay(self) -> float | None:
        """Seconds between requests the site asks for, capped: longer would stall the run."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(AGENT)
        return min(float(delay), MAX_CRAWL_DELAY) if delay is not None else None
