"""What people do in the web app, in headless Chromium against `listener serve` on the sample data.

Every page any test opens records dialogs and script errors, and the `browsing` fixture
fails the test if any appeared. Hostile post text is also checked with the Content
Security Policy switched off, so escaping alone is shown to keep it inert.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

from tests.browser.conftest import IMG_ONERROR, IMG_POST, Browsing
from tests.insight.conftest import HOSTILE_POST

SCRIPT_TEXT = "<script>alert('xss')</script>"


def h1(page: Any) -> str:
    text: str = page.get_by_role("heading", level=1).inner_text()
    return text


def images_loaded(page: Any) -> list[str]:
    """The src of every image on the page that did not load."""
    page.wait_for_load_state("load")
    broken: list[str] = page.locator("img").evaluate_all(
        "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    return broken


def no_injected_markup(page: Any) -> None:
    """Post text made no elements: no <img src=x> and no script but the app's own."""
    assert page.locator("img[src='x']").count() == 0
    sources = page.locator("script").evaluate_all("scripts => scripts.map(s => s.src)")
    assert all(src.endswith("/static/init.js") or src == "" for src in sources), sources
    inline = page.locator("script:not([src])").evaluate_all("s => s.map(x => x.textContent)")
    assert all("alert" not in text for text in inline), inline


def test_signing_in_sets_a_session_cookie_only_the_server_can_read(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.admin)
    assert h1(page) == "Your departments"
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["listener_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["path"] == "/"
    assert session["secure"] is False  # plain http on loopback; https makes it Secure
    assert session["expires"] > 0  # a lifetime, not a browser-session cookie
    assert "listener_sign_in" not in cookies  # the sign-in form's token is gone
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the session
    browsing.screenshot(page, "flow-home")


def test_a_form_post_without_its_csrf_token_is_refused(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.admin)
    refused = page.request.post("/account/tokens", form={"name": "forged"})
    assert refused.status == 403
    forged = page.request.post("/account/tokens", form={"name": "forged", "csrf_token": "x"})
    assert forged.status == 403
    page.goto("/account")
    assert page.get_by_text("forged").count() == 0


def test_an_editor_adds_a_hashtag_watch_sees_it_listed_and_the_admin_sees_it_audited(
    browsing: Browsing,
) -> None:
    people = browsing.site.people
    tag = f"#BrowserCheck{uuid.uuid4().hex[:8]}"
    page = browsing.signed_in_page(people.editor)
    page.goto("/departments/dhsc/watches")
    assert h1(page) == "Watches"
    page.get_by_label("Hashtag", exact=True).check()
    page.get_by_label("Hashtag, keyword, query, handle or feed URL").fill(tag)
    page.get_by_role("button", name="Add watch").click()
    page.wait_for_load_state("load")

    assert page.get_by_text("Watch added.").is_visible()
    hashtags = page.locator("table").filter(has=page.get_by_text("Hashtags watched by"))
    row = hashtags.get_by_role("row").filter(has_text=tag)
    assert row.count() == 1 and "Active" in row.inner_text() and "Web app" in row.inner_text()
    browsing.screenshot(page, "flow-watch-added")

    admin = browsing.signed_in_page(people.admin)
    admin.goto("/admin/audit?action=watch.add")
    entry = admin.get_by_role("row").filter(has_text=tag)
    assert entry.count() == 1
    assert people.editor in entry.inner_text() and "watch.add" in entry.inner_text()
    browsing.screenshot(admin, "flow-audit")


def test_a_search_finds_the_hostile_post_shows_it_as_text_and_opens_its_thread(
    browsing: Browsing,
) -> None:
    page = browsing.signed_in_page(browsing.site.people.editor, bypass_csp=True)
    page.goto("/conversations")
    page.get_by_role("searchbox", name="Search posts").fill('"14 hours" nan')
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state("load")

    assert page.get_by_role("heading", name="1 post").is_visible()
    text = page.locator(".app-post-text").first
    assert SCRIPT_TEXT in text.inner_text() and IMG_ONERROR in text.inner_text()
    no_injected_markup(page)
    browsing.screenshot(page, "flow-search")

    page.get_by_role("link", name="View the conversation").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/posts/{browsing.site.post_id(HOSTILE_POST)}")
    assert h1(page) == "Conversation"
    current = page.locator(".app-thread__current .app-post-text")
    assert SCRIPT_TEXT in current.inner_text() and IMG_ONERROR in current.inner_text()
    no_injected_markup(page)
    browsing.screenshot(page, "flow-thread")


def test_a_post_that_is_only_an_img_tag_is_text_in_search_and_thread(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.admin, bypass_csp=True)
    page.goto("/conversations?q=onerror&department=dhsc&sort=newest")
    texts = page.locator(".app-post-text").all_inner_texts()
    assert IMG_ONERROR in texts
    no_injected_markup(page)

    page.goto(f"/posts/{browsing.site.post_id(IMG_POST)}")
    current = page.locator(".app-thread__current")
    assert current.locator(".app-post-text").inner_text() == IMG_ONERROR
    assert IMG_ONERROR in current.get_by_role("heading").inner_text()  # the author's name
    no_injected_markup(page)
    browsing.screenshot(page, "flow-img-post")


def test_exporting_a_search_downloads_its_posts_as_csv(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.editor)
    page.goto("/conversations?q=%23JuniorDoctors&department=dhsc")
    total = int(page.locator("#results").inner_text().split()[0].replace(",", ""))
    assert total > 0
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename.startswith("listener-conversations-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")  # the BOM is for spreadsheets
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == total
    assert all("#juniordoctors" in row["text"].lower() for row in rows)


def test_the_department_overview_and_week_show_charts_with_their_numbers(
    browsing: Browsing,
) -> None:
    page = browsing.signed_in_page(browsing.site.people.editor)
    page.get_by_role("link", name="Department of Health and Social Care").click()
    page.wait_for_load_state("load")
    assert h1(page) == "Department of Health and Social Care"
    assert images_loaded(page) == []
    assert page.locator("img.app-chart").count() > 0
    assert page.get_by_role("table").count() > 0
    browsing.screenshot(page, "flow-overview")

    page.get_by_role("link", name="2026-W47").first.click()
    page.wait_for_load_state("load")
    assert h1(page).startswith("2026-W47")
    assert images_loaded(page) == []
    browsing.screenshot(page, "flow-week")


def test_a_digest_opens_from_the_archive_and_as_sent(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.editor, bypass_csp=True)
    page.goto("/digests")
    assert h1(page) == "Digests"
    digest_id = browsing.site.digests[("dhsc", "2026-W47")]
    page.locator(f"a[href='/digests/{digest_id}']").click()
    page.wait_for_load_state("load")
    assert h1(page) == "Weekly insight for 2026-W47"
    assert page.get_by_text("Department of Health and Social Care").first.is_visible()
    browsing.screenshot(page, "flow-digest")

    page.get_by_role("link", name="View as sent").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/digests/{digest_id}/email")
    assert images_loaded(page) == []
    body = page.locator("body").inner_text()
    assert "Department of Health and Social Care" in body
    no_injected_markup(page)
    browsing.screenshot(page, "flow-digest-email")


def test_signing_out_ends_the_session(browsing: Browsing) -> None:
    page = browsing.signed_in_page(browsing.site.people.viewer)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/sign-in")
    assert "listener_session" not in {c["name"] for c in page.context.cookies()}
    page.goto("/account")
    assert "/sign-in?next=/account" in page.url
    assert page.request.get("/api/v1/me").status == 401


def test_a_viewer_cannot_reach_another_departments_posts_or_the_admin_pages(
    browsing: Browsing,
) -> None:
    site = browsing.site
    page = browsing.signed_in_page(site.people.viewer)
    names = page.locator(".govuk-list a").all_inner_texts()
    assert names == ["Department for Transport"]
    assert page.get_by_role("link", name="Admin").count() == 0

    dhsc_post = site.post_id(HOSTILE_POST)
    dhsc_digest = site.digests[("dhsc", "2026-W47")]
    for path in (
        "/departments/dhsc",
        "/departments/dhsc/weeks/2026-W47",
        "/departments/dhsc/watches",
        f"/posts/{dhsc_post}",
        f"/digests/{dhsc_digest}",
        f"/digests/{dhsc_digest}/email",
        "/conversations?department=dhsc",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        assert "Department of Health" not in page.locator("main").inner_text(), path
    for path in ("/admin", "/admin/audit"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
    browsing.screenshot(page, "flow-viewer-refused")

    # The same search the editor runs finds nothing of dhsc's for the viewer.
    page.goto("/conversations?q=%23NHS")
    assert page.locator(".app-post-text").filter(has_text="A&E with my nan").count() == 0
    for path in (f"/api/v1/posts/{dhsc_post}", f"/api/v1/digests/{dhsc_digest}"):
        assert page.request.get(path).status == 404, path
    assert page.request.get("/api/v1/admin/users").status == 403
