"""PNG charts of posts and mean sentiment, by day (the digest) and by week (the web overview).

Byte-for-byte reproducible: the same numbers always give the same PNG.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from listener.digest.context import DayRow

_IMPORT_LOCK = threading.Lock()


def _load_matplotlib() -> None:
    """Import matplotlib once, under a lock: the web app draws charts in a thread pool, and
    two threads importing matplotlib at once can meet a half-initialised module."""
    with _IMPORT_LOCK:
        import matplotlib.colors
        import matplotlib.figure
        import matplotlib.ticker  # noqa: F401  (imported for its side effect: loaded once)


if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# GOV.UK palette: strong enough to read on the white card in light and dark mail clients.
BLUE = "#1d70b8"
RED = "#d4351c"
GREEN = "#00703c"
TEXT = "#0b0c0c"
MUTED = "#505a5f"
GRID = "#e1e3e4"
NEUTRAL_BAND = 0.05  # VADER's own neutral threshold for a compound score

_SIZE = (6.0, 2.4)  # inches: 600 x 240 px at 100 dpi
_DPI = 200  # drawn at twice the display size so it stays sharp on high-density screens
FAMILY = "DejaVu Sans"  # ships with matplotlib: the same glyphs on every machine
_FONT = {"family": FAMILY, "size": 9, "color": TEXT}


# Spelt out rather than strftime's %a and %B, which follow the process locale.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def day_label(day: str | date) -> str:
    """'2026-11-17' -> 'Tue 17 Nov'."""
    when = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{WEEKDAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1][:3]}"


def long_date(when: date) -> str:
    """date(2026, 11, 17) -> '17 November 2026'."""
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def signed(value: float) -> str:
    """A score to two places with its sign, and never '-0.00'."""
    rounded = round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return "0.00" if rounded == 0 else f"{rounded:+.2f}"


def volume_chart(days: Sequence[DayRow]) -> bytes:
    """Bars of posts per day, each labelled with its count."""
    _load_matplotlib()
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    figure, axes = _canvas()
    counts = [row.posts for row in days]
    positions = range(len(days))
    axes.bar(positions, counts, width=0.62, color=BLUE, zorder=2)
    top = max([*counts, 1])
    axes.set_ylim(0, top * 1.18)
    for x, count in zip(positions, counts, strict=True):
        axes.text(x, count + top * 0.03, f"{count:,}", ha="center", va="bottom", fontdict=_FONT)
    axes.set_ylabel("Posts", fontdict=_FONT)
    _x_axis(axes, days)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    return _png(figure)


def sentiment_chart(days: Sequence[DayRow]) -> bytes:
    """Bars of each day's mean compound score around zero; unscored days say so."""
    figure, axes = _canvas()
    _mean_bars(axes, [row.mean_compound for row in days])
    _x_axis(axes, days)
    return _png(figure)


def _mean_bars(
    axes: Axes,
    means: Sequence[float | None],
    *,
    style: Callable[[float, int], dict[str, Any]] | None = None,
) -> None:
    """Mean compound scores as bars around zero, labelled; a period with none says so.

    `style(mean, x)`: the bar's colours; by default the mean's tone."""
    scored = [abs(m) for m in means if m is not None]
    limit = max(0.25, math.ceil((max(scored, default=0.0) + 0.05) * 4) / 4)
    axes.set_ylim(-limit, limit)
    axes.axhline(0, color=TEXT, linewidth=0.8, zorder=3)
    for x, mean in enumerate(means):
        if mean is None:
            axes.text(
                x,
                0,
                "no scored\nposts",
                ha="center",
                va="center",
                fontdict=_muted(8),
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                zorder=4,
            )
            continue
        colours = style(mean, x) if style is not None else {"color": tone(mean)}
        axes.bar(x, mean, width=0.62, zorder=2, **colours)
        offset = limit * 0.04 if mean >= 0 else -limit * 0.04
        axes.text(
            x,
            mean + offset,
            signed(mean),
            ha="center",
            va="bottom" if mean >= 0 else "top",
            fontdict=_FONT,
        )
    axes.spines["bottom"].set_visible(False)  # the zero line is the baseline here
    axes.set_ylabel("Mean sentiment", fontdict=_FONT)
    axes.text(0.0, 1.02, "▲ more positive", transform=axes.transAxes, fontdict=_muted(8, GREEN))
    axes.text(0.2, 1.02, "▼ more negative", transform=axes.transAxes, fontdict=_muted(8, RED))


def _canvas() -> tuple[Figure, Axes]:
    # Imported here: matplotlib is slow to import and only digest rendering needs it.
    # A bare Figure (never pyplot) keeps no global state between digests or threads.
    _load_matplotlib()
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=100, facecolor="white")
    axes = figure.add_axes((0.1, 0.2, 0.88, 0.7))
    axes.set_facecolor("white")
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(MUTED)
    axes.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
    axes.tick_params(colors=TEXT, labelsize=9, length=0)
    for label in axes.get_yticklabels():
        label.set_fontfamily(FAMILY)
    return figure, axes


def _x_axis(axes: Axes, days: Sequence[DayRow]) -> None:
    axes.set_xlim(-0.6, max(len(days), 1) - 0.4)
    axes.set_xticks(
        list(range(len(days))),
        [day_label(row.date).replace(" ", "\n", 1) for row in days],
        fontfamily=FAMILY,
    )


def tone(mean: float) -> str:
    """GREEN above the neutral band, RED below it, MUTED inside."""
    if mean >= NEUTRAL_BAND:
        return GREEN
    return RED if mean <= -NEUTRAL_BAND else MUTED


def _muted(size: int, color: str = MUTED) -> dict[str, object]:
    return {"family": FAMILY, "size": size, "color": color}


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No Software or creation-time chunks: the same data gives the same bytes.
    figure.savefig(buffer, format="png", dpi=_DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


# --- week by week, for the web app's department overview ------------------------------------

PALE_BLUE = "#9cc0e0"  # the week so far: lighter, so it does not read as a fall in volume


@dataclass(frozen=True)
class WeekBar:
    """One week in the weekly charts."""

    week: str  # YYYY-Www
    monday: date
    posts: int
    mean_compound: float | None
    partial: bool = False  # the week so far


def week_label(bar: WeekBar) -> str:
    """'W47 from 16 Nov', or 'W48 so far'."""
    number = bar.week.partition("-")[2]
    return f"{number} so far" if bar.partial else f"{number} from {day_label(bar.monday)[4:]}"


def _week_tick(bar: WeekBar) -> str:
    """'W47' over '16 Nov' (the Monday), or 'W48' over 'so far': short enough for nine bars."""
    number = bar.week.partition("-")[2]
    return f"{number}\nso far" if bar.partial else f"{number}\n{day_label(bar.monday)[4:]}"


def weekly_volume_chart(weeks: Sequence[WeekBar]) -> bytes:
    """Bars of posts per week, each labelled with its count; the week so far in a paler blue."""
    _load_matplotlib()
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    figure, axes = _canvas()
    counts = [bar.posts for bar in weeks]
    top = max([*counts, 1])
    axes.set_ylim(0, top * 1.18)
    for x, bar in enumerate(weeks):
        colour = PALE_BLUE if bar.partial else BLUE
        axes.bar(x, bar.posts, width=0.62, color=colour, edgecolor=BLUE, zorder=2)
        axes.text(
            x, bar.posts + top * 0.03, f"{bar.posts:,}", ha="center", va="bottom", fontdict=_FONT
        )
    axes.set_ylabel("Posts", fontdict=_FONT)
    _week_axis(axes, weeks)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    return _png(figure)


def weekly_sentiment_chart(weeks: Sequence[WeekBar]) -> bytes:
    """Bars of each week's mean compound score around zero; unscored weeks say so."""
    _load_matplotlib()
    from matplotlib.colors import to_rgba

    def style(mean: float, x: int) -> dict[str, Any]:
        fill = to_rgba(tone(mean), 0.45 if weeks[x].partial else 1.0)  # the week so far is paler
        return {"facecolor": fill, "edgecolor": tone(mean)}

    figure, axes = _canvas()
    _mean_bars(axes, [bar.mean_compound for bar in weeks], style=style)
    _week_axis(axes, weeks)
    return _png(figure)


def _week_axis(axes: Axes, weeks: Sequence[WeekBar]) -> None:
    axes.set_xlim(-0.6, max(len(weeks), 1) - 0.4)
    axes.set_xticks(
        list(range(len(weeks))),
        [_week_tick(bar) for bar in weeks],
        fontfamily=FAMILY,
    )
