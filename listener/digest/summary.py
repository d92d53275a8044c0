"""The digest's three opening lines, in plain English."""

from __future__ import annotations

from listener.digest.context import DigestContext


def describe(compound: float) -> str:
    """VADER's compound score in words."""
    if compound <= -0.05:
        return "mostly negative" if compound <= -0.2 else "slightly negative"
    if compound >= 0.05:
        return "mostly positive" if compound >= 0.2 else "slightly positive"
    return "broadly neutral"


def _change(now: int, before: int) -> str:
    if before == 0:
        return "with none the week before" if now else "as in the week before"
    change = (now - before) / before
    if abs(change) < 0.005:
        return f"the same as last week ({before:,})"
    direction = "up" if change > 0 else "down"
    return f"{direction} {abs(change):.0%} on last week ({before:,})"


def summary_lines(context: DigestContext) -> list[str]:
    """Volume and change; sentiment and change; the biggest topic and the biggest mover."""
    noun = "post" if context.posts == 1 else "posts"
    lines = [
        f"{context.posts:,} {noun} this week, {_change(context.posts, context.previous_posts)}."
    ]
    if context.mean_compound is None:
        lines.append("No posts this week could be scored for sentiment.")
    else:
        line = (
            f"Sentiment was {describe(context.mean_compound)} (average {context.mean_compound:+.2f}"
        )
        if context.negative_share is not None:
            line += f", {context.negative_share:.0%} of posts negative"
        line += ")"
        before = context.previous_mean_compound
        if before is not None:
            shift = context.mean_compound - before
            if abs(shift) < 0.02:
                line += f", much as last week ({before:+.2f})"
            else:
                word = "more positive" if shift > 0 else "more negative"
                line += f", {word} than last week ({before:+.2f})"
        lines.append(line + ".")
    parts = []
    if context.topics:
        top = context.topics[0]
        parts.append(f"Biggest topic: {top.label} ({top.share:.0%} of posts)")
    if context.themes:
        mover = context.themes[0]
        parts.append(
            f"biggest mover: {mover.term} ({mover.count:,} posts, from {mover.baseline:.1f} a week"
            " before)"
        )
    lines.append(("; ".join(parts) + ".") if parts else "Too few posts this week to find topics.")
    if lines[-1][0].islower():
        lines[-1] = lines[-1][0].upper() + lines[-1][1:]
    return lines
