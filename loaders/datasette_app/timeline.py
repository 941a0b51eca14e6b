"""Browsing the articles by time: a date range and a timeline of articles per month.

``?_from=YYYY-MM-DD&_to=YYYY-MM-DD`` keeps the articles published on those days and
between them (both days whole, whatever the time of day ``published`` gives), with any
search, facet or filter of the page. The articles page shows the two dates as inputs
and, above them, a bar per month drawn as an inline SVG from ``article_month_counts``
(kept by the loader's triggers: the same cost at any size); each bar links to its
month's articles, the page's other filters kept.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import path_with_replaced_args
from datasette.utils.asgi import BadRequest
from markupsafe import Markup, escape

TABLE = "articles"
FROM, TO = "_from", "_to"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# The chart's drawing area, in SVG units (the SVG scales to the page's width).
HEIGHT = 120
AXIS = 18
MAX_WIDTH = 1000
_MONTHS_SQL = "select month, articles from article_month_counts where articles > 0 order by month"


@dataclass(frozen=True)
class DateRange:
    """The days asked for: ``start`` and ``end`` included, either open (None)."""

    start: date | None
    end: date | None


def parse_day(value: str | None, name: str) -> date | None:
    """A day as the date inputs send it (YYYY-MM-DD); empty: none. ValueError with a
    sentence for anything else."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"The {name} date {value!r} is not a day: write it as YYYY-MM-DD, "
            "for example 2015-12-16."
        ) from None


def date_range(args: Any) -> DateRange:
    """The range of a request's ``_from`` and ``_to`` (ValueError: one is not a day)."""
    start, end = parse_day(args.get(FROM), "from"), parse_day(args.get(TO), "to")
    if start and end and start > end:
        raise ValueError(
            f"The range ends ({end}) before it starts ({start}): put the earlier day in From."
        )
    return DateRange(start, end)


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """The articles published within ``_from`` and ``_to`` (on ``published``, its index)."""
    if table != TABLE or not (request.args.get(FROM) or request.args.get(TO)):
        return None
    try:
        wanted = date_range(request.args)
    except ValueError as error:
        if request.url_vars.get("format") not in (None, "html"):
            raise BadRequest(str(error)) from None
        return FilterArguments([], extra_context={"wic_date_refused": str(error)})
    where, params, said = [], {}, []
    if wanted.start:
        where.append("published >= :wic_from")
        params["wic_from"] = wanted.start.isoformat()
        said.append(f"published on or after {wanted.start}")
    if wanted.end:
        # Before the next day: a time on the last day is within the range.
        where.append("published < :wic_after")
        params["wic_after"] = (wanted.end + timedelta(days=1)).isoformat()
        said.append(f"published on or before {wanted.end}")
    return FilterArguments(where, params, human_descriptions=said)


@dataclass(frozen=True)
class Bar:
    month: str  # YYYY-MM
    articles: int
    link: str
    selected: bool


def month_days(month: str) -> tuple[date, date]:
    """The first and the last day of a month (YYYY-MM)."""
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def every_month(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The months from the first to the last of ``counts``, the missing ones at 0: a
    time axis with no gaps."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    year, number = int(first[:4]), int(first[5:7])
    months = []
    while (month := f"{year:04d}-{number:02d}") <= last:
        months.append((month, counts.get(month, 0)))
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months


def bars(counts: dict[str, int], request: Any, wanted: DateRange) -> list[Bar]:
    """A bar per month, each a link to its month's articles (the page's filters kept)."""
    found = []
    for month, articles in every_month(counts):
        start, end = month_days(month)
        link = path_with_replaced_args(
            request, {FROM: start.isoformat(), TO: end.isoformat(), "_next": None}
        )
        selected = (wanted.start is not None or wanted.end is not None) and (
            (wanted.start or date.min) <= end and start <= (wanted.end or date.max)
        )
        found.append(Bar(month, articles, str(link), selected))
    return found


def svg(chart: list[Bar]) -> Markup:
    """The bars as an inline SVG: height for articles, a year's label under each January."""
    if not chart:
        return Markup("")
    most = max(b.articles for b in chart) or 1
    step = min(24.0, MAX_WIDTH / len(chart))
    width = step * len(chart)
    gap = step * 0.15 if step >= 3 else 0
    every = max(1, round(len(chart) / 12 / 12))  # about a dozen year labels at most
    parts = [
        f'<svg class="wic-timeline-chart" viewBox="0 0 {width:.1f} {HEIGHT + AXIS}" '
        f'preserveAspectRatio="none" role="img" aria-label="Articles per month" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, bar in enumerate(chart):
        x = n * step
        high = HEIGHT * bar.articles / most
        if bar.articles and high < 1:
            high = 1.0  # one article is still seen
        name = f"{calendar.month_name[int(bar.month[5:])]} {bar.month[:4]}"
        said = f"{name}: {bar.articles} article{'' if bar.articles == 1 else 's'}"
        kind = "wic-bar wic-bar-selected" if bar.selected else "wic-bar"
        parts.append(
            f'<a href="{escape(bar.link)}" class="wic-bar-link">'
            f'<rect class="{kind}" x="{x + gap / 2:.2f}" y="{HEIGHT - high:.2f}" '
            f'width="{step - gap:.2f}" height="{high:.2f}" data-month="{bar.month}" '
            f'data-articles="{bar.articles}"><title>{escape(said)}</title></rect>'
            # The whole column is the link: a month of few articles is still a target.
            f'<rect class="wic-bar-hit" x="{x:.2f}" y="0" width="{step:.2f}" '
            f'height="{HEIGHT}"><title>{escape(said)}</title></rect></a>'
        )
        if bar.month.endswith("-01") and (int(bar.month[:4]) % every == 0 or len(chart) < 24):
            parts.append(
                f'<text class="wic-year" x="{x:.2f}" y="{HEIGHT + AXIS - 4}">{bar.month[:4]}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Any:
    async def timeline_vars() -> dict[str, Any]:
        if view_name != "table" or table != TABLE or database is None or request is None:
            return {}
        db = datasette.get_database(database)
        try:
            wanted = date_range(request.args)
        except ValueError:
            wanted = DateRange(None, None)  # the filter has said what is wrong
        found: dict[str, Any] = {
            "from": wanted.start.isoformat() if wanted.start else "",
            "to": wanted.end.isoformat() if wanted.end else "",
            "kept": [
                (k, v)
                for k in request.args
                for v in request.args.getlist(k)
                if k not in (FROM, TO, "_next")
            ],
            "clear": str(path_with_replaced_args(request, {FROM: None, TO: None, "_next": None})),
            "chart": Markup(""),
        }
        if await db.table_exists("article_month_counts"):
            rows = (await db.execute(_MONTHS_SQL)).rows
            counts = {m: n for m, n in rows if isinstance(m, str) and _MONTH.fullmatch(m)}
            chart = bars(counts, request, wanted)
            found |= {"chart": svg(chart), "months": len(chart),
                      "first": chart[0].month if chart else None,
                      "last": chart[-1].month if chart else None}  # fmt: skip
        return {"wic_timeline": found}

    return timeline_vars
