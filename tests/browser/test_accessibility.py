"""axe-core finds no serious or critical WCAG 2.2 AA failures on the main pages, in Chromium.

axe-core comes from npm (package.json's devDependencies, installed by `make`). It is run with
`page.evaluate`, which the pages' Content Security Policy does not block, so the pages are
checked exactly as they are served. Each page is also photographed at 1024 px wide.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Browsing, LiveSite
from tests.conftest import ROOT
from tests.insight.conftest import HOSTILE_POST

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = ("serious", "critical")
# GOV.UK Frontend's conditionally revealing radios and checkboxes set aria-expanded on the
# inputs: invalid ARIA that axe calls critical, kept on purpose because screen readers
# announce it (alphagov/govuk-frontend#979, a documented known issue). Only that is let through.
GOVUK_CONDITIONAL = (".govuk-radios__input", ".govuk-checkboxes__input")
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html,
                                 summary: n.failureSummary})),
  }));
}"""

pytestmark = pytest.mark.skipif(
    not AXE.exists(), reason=f"axe-core is not installed at {AXE}: run `make` (npm ci)"
)


def _digest(site: LiveSite) -> str:
    return f"/digests/{site.digests[('dhsc', '2026-W47')]}"


# (screenshot name, path) of every main page, as the admin (who can open all of them) sees it.
PAGES: list[tuple[str, Callable[[LiveSite], str]]] = [
    ("home", lambda site: "/"),
    ("overview", lambda site: "/departments/dhsc"),
    ("week", lambda site: "/departments/dhsc/weeks/2026-W47"),
    ("watches", lambda site: "/departments/dhsc/watches"),
    ("conversations", lambda site: "/conversations?q=%23NHS&department=dhsc"),
    ("thread", lambda site: f"/posts/{site.post_id(HOSTILE_POST)}"),
    ("digests", lambda site: "/digests"),
    ("digest", _digest),
    ("health", lambda site: "/health"),
    ("admin", lambda site: "/admin"),
    ("audit", lambda site: "/admin/audit"),
    ("rights", lambda site: "/admin/rights"),
    ("approvals", lambda site: "/admin/approvals"),
    ("retention", lambda site: "/admin/retention"),
    ("account", lambda site: "/account"),
    ("accessibility", lambda site: "/accessibility"),
    ("not-found", lambda site: "/departments/no-such-department"),
]


# What each page must be showing for its check to mean anything (not an empty state).
SHOWING = {
    "overview": "img.app-chart",
    "week": "img.app-chart",
    "conversations": ".app-result",
    "thread": ".app-thread__current",
    "digests": "table",
    "admin": "table",
    "audit": "table",
    "rights": "#erase-handle",
    "approvals": "#x-reference",
}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A and AA violations on the page as it is now."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, WCAG_22_AA)
    return violations


def _govuk_conditional_reveal(violation: dict[str, Any]) -> bool:
    return violation["id"] == "aria-allowed-attr" and all(
        'aria-expanded="' in node["summary"]
        and node["summary"].count("ARIA attribute is not allowed") == 1
        and any(name[1:] in node["html"] for name in GOVUK_CONDITIONAL)
        for node in violation["nodes"]
    )


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as a person reads them: rule, impact, what to fix, and where."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['url']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            lines.append("      " + node["summary"].replace("\n", "\n      "))
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def check_page(browsing: Browsing, page: Any, name: str) -> None:
    """Photograph the page, then fail on any serious or critical axe violation."""
    browsing.screenshot(page, name)
    violations = axe_violations(page)
    known = [v for v in violations if _govuk_conditional_reveal(v)]
    blocking = [v for v in violations if v["impact"] in BLOCKING and v not in known]
    minor = [v for v in violations if v["impact"] not in BLOCKING or v in known]
    if minor:
        print(f"{name}: minor axe findings\n{describe(minor)}")
    assert not blocking, f"{name} ({page.url}):\n{describe(blocking)}"


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_main_pages_have_no_serious_accessibility_failures(
    browsing: Browsing, name: str, path: Callable[[LiveSite], str]
) -> None:
    page = browsing.signed_in_page(browsing.site.people.admin)
    response = page.goto(path(browsing.site))
    expected = 404 if name == "not-found" else 200
    assert response is not None and response.status == expected, f"{name}: {response}"
    if name in SHOWING:
        assert page.locator(SHOWING[name]).count() > 0, f"{name}: nothing to check"
    check_page(browsing, page, name)


def test_forms_showing_errors_have_no_serious_accessibility_failures(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.editor)
    page.goto("/departments/dhsc/watches")
    page.get_by_role("button", name="Add watch").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("alert").get_by_text("There is a problem").is_visible()
    check_page(browsing, page, "watches-errors")
    response = page.goto("/conversations?q=%22unclosed&since=2026-13-45")
    assert response is not None and response.status == 400
    assert page.get_by_role("alert").get_by_text("There is a problem").is_visible()
    check_page(browsing, page, "conversations-errors")


def test_sign_in_page_and_its_errors_have_no_serious_accessibility_failures(
    browsing: Browsing,
) -> None:
    page = browsing.new_page()
    page.goto("/sign-in")
    check_page(browsing, page, "sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.get_by_role("alert").get_by_text("There is a problem").is_visible()
    check_page(browsing, page, "sign-in-errors")


def test_a_narrow_screen_needs_no_sideways_scrolling(browsing: Browsing, tmp_path: Path) -> None:
    """WCAG 1.4.10 reflow: at 320 CSS px the pages fit (wide tables may scroll in their box)."""
    page = browsing.signed_in_page(browsing.site.people.admin, width=320)
    overflowing = []
    for name, path in PAGES:
        page.goto(path(browsing.site))
        if page.evaluate("document.documentElement.scrollWidth") > 320:
            overflowing.append(name)
            browsing.screenshot(page, f"narrow-{name}")
    assert overflowing == []
