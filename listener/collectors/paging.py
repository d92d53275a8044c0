"""Stalled pagination, judged the same way for every source.

A walk through pages stalls when the platform hands back a page token it has
already given (following it would loop forever), or an empty page that still
points onwards (following it would spin without progress). Each source names
its token (`next_token`, a `Link`, a `cursor`) and asks here.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable


def stall_reason(
    token: Hashable, *, followed: Collection[Hashable], empty: bool, name: str = "page token"
) -> str | None:
    """Why following `token` would not make progress, or None if it would."""
    if token in followed:
        return f"the same {name} again"
    if empty:
        return f"an empty page that still has a {name}"
    return None
