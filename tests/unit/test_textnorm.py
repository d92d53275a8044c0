"""The one tokenisation: what indexing, querying and watch matching all agree a word is."""

from __future__ import annotations

import random
import sqlite3

import pytest

from listener.textnorm import (
    hashtags,
    mentions,
    normalise,
    normalise_handle,
    normalise_lang,
    search_text,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS Waiting Lists", "nhs waiting lists"),
        ("\uff2e\uff28\uff33\u3000England", "nhs england"),  # full-width letters and space (NFKC)
        ("Straße", "strasse"),  # casefold, not just lower
        ("Café naïve façade", "cafe naive facade"),
        ("Caf\u0065\u0301", "cafe"),  # decomposed accent
        ("Llanfair ŵ ŷ Ysbyty", "llanfair w y ysbyty"),  # Welsh circumflexes
        ("Łódź żółć Ørsted", "lodz zolc orsted"),  # stroked letters too
        ("  a\t\n\r b  ", "a b"),
        ("a\x00b\x1fc\x7fd", "a b c d"),  # control characters separate words
        ("a\u200bb", "a b"),  # zero-width space separates words
        ("co\u00adordinate", "coordinate"),  # soft hyphen is invisible inside a word
        ("#NHS @DHSCgovuk", "#nhs @dhscgovuk"),
        ("x²", "x2"),
        ("한국어", "한국어"),  # Hangul survives NFKD and comes back composed
        ("مَرْحَبًا", "مرحبا"),  # Arabic vowel marks are diacritics
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_is_idempotent() -> None:
    rng = random.Random(7)
    pool = [chr(code) for code in range(0x20, 0x3000) if not 0xD800 <= code <= 0xDFFF]
    pool += list("\t\n\x00\u00ad\u200b\u0301 #@_") * 20
    for _ in range(2000):
        text = "".join(rng.choices(pool, k=rng.randint(0, 15)))
        once = normalise(text)
        assert normalise(once) == once, repr(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#NHS.", ["#nhs"]),
        ("@DHSCgovuk:", ["@dhscgovuk"]),
        ("covid-19", ["covid", "19"]),
        ("Café", ["cafe"]),
        ("Don't stop!", ["don", "t", "stop"]),
        ("snake_case", ["snake_case"]),
        ("# @ ## @@ #@ -", []),  # tokens made only of signs carry no word
        ("#nhs#care", ["#nhs#care"]),
        ("##nhs", ["##nhs"]),
        ("email@example.org", ["email@example", "org"]),
        ("@user@instance.social", ["@user@instance", "social"]),
        ("https://www.gov.uk/nhs?x=1", ["https", "www", "gov", "uk", "nhs", "x", "1"]),
        ("£5bn — 10%", ["5bn", "10"]),
        ("NHS🏥strike", ["nhs", "strike"]),
        ("京都 한국어", ["京都", "한국어"]),
        ("", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_search_text_is_the_tokens_joined() -> None:
    text = "Waiting lists at the #NHS. @DHSCgovuk: Café covid-19 https://gov.uk"
    assert search_text(text) == "waiting lists at the #nhs @dhscgovuk cafe covid 19 https gov uk"
    assert tokenize(search_text(text)) == tokenize(text)


def test_hashtags_and_mentions_in_order_without_sign() -> None:
    text = "#NHS strike: @DHSCgovuk @NHSEngland #Junior_Doctors #nhs ##no #5 a@b #"
    assert hashtags(text) == ["nhs", "junior_doctors", "nhs", "5"]
    assert mentions(text) == ["dhscgovuk", "nhsengland"]


def test_hashtags_and_mentions_keep_inner_signs() -> None:
    assert hashtags("#nhs#care") == ["nhs#care"]
    assert mentions("@user@instance.social") == ["user@instance"]


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("@DHSCgovuk", "dhscgovuk"),
        ("DHSCgovuk", "dhscgovuk"),
        ("@User@Instance.Social", "user@instance.social"),
        ("Name.bsky.social", "name.bsky.social"),
        ("", ""),
    ],
)
def test_normalise_handle(handle: str, expected: str) -> None:
    assert normalise_handle(handle) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "en"), ("EN", "en"), ("en-GB", "en"), ("cy_GB", "cy"), ("", None), (None, None)],
)
def test_normalise_lang(code: str | None, expected: str | None) -> None:
    assert normalise_lang(code) == expected


def _fts5_tokens(db: sqlite3.Connection, text: str) -> list[str]:
    db.execute("DELETE FROM doc")
    db.execute("INSERT INTO doc(rowid, body) VALUES (1, ?)", (text,))
    return [row[0] for row in db.execute("SELECT term FROM vocab ORDER BY offset")]


def test_fts5_unicode61_finds_the_same_tokens_in_search_text() -> None:
    """The store indexes search_text with unicode61 tokenchars '#@_': it must see our tokens."""
    db = sqlite3.connect(":memory:")  # listener needs FTS5: its absence is a failure here
    db.execute("CREATE VIRTUAL TABLE doc USING fts5(body, tokenize=\"unicode61 tokenchars '#@_'\")")
    db.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(doc, instance)")
    samples = [
        "Waiting lists at the #NHS. @DHSCgovuk: Café covid-19 https://www.gov.uk/x?y=1",
        "Llanfair ŵ ŷ Łódź żółć Straße \uff2e\uff28\uff33 naïve a\u200bb",
        "#nhs#care ##x @user@instance.social email@example.org # @ 京都 한국어 مَرْحَبًا",
        "NHS🏥strike £5bn — 10% Don't x² ΑΘΗΝΑ Москва",
        "co\u00adordinate snake_case",
    ]
    rng = random.Random(11)
    pool = [chr(code) for code in range(0x20, 0x250)]  # ASCII, Latin-1, Latin Extended
    pool += list("ΑΘΗΝΑαβγМоскваمرحبا京都한국어🏥—\u2019“”\u0301\u00ad\u200b\t#@_-.") * 3
    samples += ["".join(rng.choices(pool, k=30)) for _ in range(300)]
    for text in samples:
        assert _fts5_tokens(db, search_text(text)) == tokenize(text), repr(text)
    db.close()
