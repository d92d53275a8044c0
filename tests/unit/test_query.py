"""The one query syntax: parsing, errors, canonical form, matching and the watch Matcher."""

from __future__ import annotations

import random

import pytest

from listener.errors import QuerySyntaxError, UserError
from listener.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    And,
    From,
    Hashtag,
    Lang,
    Mention,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    account_watch,
    format_query,
    hashtag_watch,
    keyword_watch,
    parse,
    word_forms,
)
from listener.querymatch import MatchDoc, Matcher, compile_query, matches, prefilter

a, b, c, d = Term("a"), Term("b"), Term("c"), Term("d")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nhs", Term("nhs")),
        ("NHS Strike", And((Term("nhs"), Term("strike")))),
        ("a AND b", And((a, b))),
        ("a b OR c", Or((And((a, b)), c))),
        ("a OR b c", Or((a, And((b, c))))),
        ("a AND b OR c AND d", Or((And((a, b)), And((c, d))))),
        ("a OR b OR c", Or((a, b, c))),
        ("(a OR b) c", And((Or((a, b)), c))),
        ("a (b OR (c d))", And((a, Or((b, And((c, d))))))),
        ("((a))", a),
        ("(a b) (c d)", And((a, b, c, d))),  # groups of the same kind flatten
        ("(a OR b) OR c", Or((a, b, c))),
        ("a or b", And((a, Term("or"), b))),  # lowercase "or" is a word
        ("a and b", And((a, Term("and"), b))),
        ("a -b", And((a, Not(b)))),
        ('a -"b c"', And((a, Not(Phrase(("b", "c")))))),
        ("a -(b OR c)", And((a, Not(Or((b, c)))))),
        ("a -#tag -@who", And((a, Not(Hashtag("tag")), Not(Mention("who"))))),
        ("a -from:bot -lang:fr", And((a, Not(From("bot")), Not(Lang("fr"))))),
        ("a (-b)", And((a, Not(b)))),
        ("a -b OR c", Or((And((a, Not(b))), c))),
        ('"waiting list"', Phrase(("waiting", "list"))),
        ('"NHS"', Term("nhs")),  # a quoted single word is that word
        ('"#NHS"', Hashtag("nhs")),
        ("\u201cwaiting list\u201d", Phrase(("waiting", "list"))),  # curly quotes
        ('"a, b. c!"', Phrase(("a", "b", "c"))),
        ("covid-19", Phrase(("covid", "19"))),
        ("#covid-19", Phrase(("#covid", "19"))),
        ("#NHS", Hashtag("nhs")),
        ("#NHS.", Hashtag("nhs")),
        ("@DHSCgovuk:", Mention("dhscgovuk")),
        ("##x", Term("##x")),
        ("from:DHSCgovuk", From("dhscgovuk")),
        ("FROM:@DHSCgovuk", From("dhscgovuk")),
        ("from:User@Mastodon.Social", From("user@mastodon.social")),
        ("from:name.bsky.social", From("name.bsky.social")),
        ("lang:EN", Lang("en")),
        ("lang:cym", Lang("cym")),
        ("Café naïve", And((Term("cafe"), Term("naive")))),
        ("\uff2e\uff28\uff33", Term("nhs")),  # full-width letters
        ("京都", Term("京都")),
        ("nhs , strike", And((Term("nhs"), Term("strike")))),  # punctuation-only words drop
        ("https://www.gov.uk/nhs", Phrase(("https", "www", "gov", "uk", "nhs"))),
        ("to: the minister", And((Term("to"), Term("the"), Term("minister")))),
        ("a(b)c", And((a, b, c))),
        ("  a\tb\n", And((a, b))),
    ],
)
def test_parse(query: str, expected: Node) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ("", "empty query", None),
        ("   ", "empty query", None),
        ("... !!", "the query has no words to search for, only punctuation", 1),
        ('nhs "waiting', 'unbalanced quote: the " at column 5 is never closed', 5),
        ("a \u201cb", "unbalanced quote: the \u201c at column 3 is never closed", 3),
        ('a ""', "empty phrase at column 3", 3),
        ('a "..."', "empty phrase at column 3", 3),
        ("a (b", "unbalanced parenthesis at column 3", 3),
        ("a b)", "unbalanced parenthesis at column 4", 4),
        ("(a OR b)) c", "unbalanced parenthesis at column 9", 9),
        ("a ()", "empty parentheses at column 3", 3),
        ("a ( ... )", "empty parentheses at column 3", 3),
        ("OR a", "OR at column 1 needs a term on each side", 1),
        ("a OR", "OR at column 3 needs a term on each side", 3),
        ("a OR OR b", "OR at column 3 needs a term on each side", 3),
        ("(a OR) b", "OR at column 4 needs a term on each side", 4),
        ("AND a", "AND at column 1 needs a term on each side", 1),
        ("a AND", "AND at column 3 needs a term on each side", 3),
        ("nhs - a", '"-" at column 5 must be followed by a term', 5),
        ("nhs -", '"-" at column 5 must be followed by a term', 5),
        ("nhs --a", '"-" at column 5 must be followed by a term', 5),
        ("nhs -OR a", '"-" at column 5 must be followed by a term', 5),
        ("nhs -... a", '"-" at column 5 must be followed by a term', 5),
        ("(nhs -)", '"-" at column 6 must be followed by a term', 6),
        ("from: nhs", "from: at column 1 needs a handle", 1),
        ("nhs from:", "from: at column 5 needs a handle", 5),
        (
            "from:bbc,",
            'from: at column 1 needs a handle of letters, digits, "_", ".", "-" and "@", '
            'not "bbc,"',
            1,
        ),
        ("nhs lang:", "lang: at column 5 needs a 2- or 3-letter language code", 5),
        (
            "lang:english",
            'lang: at column 1 needs a 2- or 3-letter language code, not "english"',
            1,
        ),
        ("lang:en-GB", 'lang: at column 1 needs a 2- or 3-letter language code, not "en-GB"', 1),
        ("-a", "the query excludes terms but has nothing to include", 1),
        ("-a -#b -(c d)", "the query excludes terms but has nothing to include", 1),
        ("(-a)", "the query excludes terms but has nothing to include", 1),
        (
            "a OR -b",
            "an exclusion cannot be an alternative of OR (column 6); put it outside the OR",
            6,
        ),
        (
            "a OR (-b -c)",
            "an exclusion cannot be an alternative of OR (column 6); put it outside the OR",
            6,
        ),
        (
            "-a OR b",
            "an exclusion cannot be an alternative of OR (column 1); put it outside the OR",
            1,
        ),
        ("a -(-b)", '"-" at column 3 excludes a group that has nothing to include', 3),
        (
            "nhs since:2024-01-01",
            'unsupported operator "since:" at column 5 (supported: from:, lang:)',
            5,
        ),
        ("is:retweet", 'unsupported operator "is:" at column 1 (supported: from:, lang:)', 1),
        (
            "a " * 500 + "b",
            f"query is too long: 1,001 characters (the limit is {MAX_QUERY_LENGTH:,})",
            None,
        ),
        (
            "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
            f"parentheses nested too deeply at column {MAX_DEPTH + 1} (the limit is {MAX_DEPTH})",
            MAX_DEPTH + 1,
        ),
    ],
)
def test_parse_errors_name_the_problem_and_column(
    query: str, message: str, column: int | None
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert str(caught.value) == message
    assert caught.value.column == column
    assert caught.value.query == query
    assert isinstance(caught.value, UserError)  # the CLI shows it as one line, exit 1


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == a


_WORDS = ["nhs", "NHS", "strike", "Café", "covid-19", "or", "a.b", "...", "京都", "x_y", "##z"]
_ATOMS = ["#NHS", "@DHSC", "from:bbc", "from:u@m.social", "lang:en", '"waiting list"', '"a"']


def _random_query(rng: random.Random, depth: int = 0) -> str:
    """Build a random query string from the grammar (possibly invalid: parse decides)."""
    parts: list[str] = []
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.15 and depth < 3:
            item = "(" + _random_query(rng, depth + 1) + ")"
        elif roll < 0.4:
            item = rng.choice(_ATOMS)
        else:
            item = rng.choice(_WORDS)
        if rng.random() < 0.2:
            item = "-" + item
        parts.append(item)
        if rng.random() < 0.3:
            parts.append(rng.choice(["OR", "AND"]))
    return " ".join(parts)


def _random_nodes(count: int, seed: int) -> list[Node]:
    rng, nodes = random.Random(seed), []
    while len(nodes) < count:
        try:
            nodes.append(parse(_random_query(rng)))
        except QuerySyntaxError:
            continue
    return nodes


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("a b OR c", "(a b) OR c"),
        ("(a OR b) c -(d OR e)", "(a OR b) c -(d OR e)"),
        ("NHS AND Café", "nhs cafe"),
        ("covid-19", '"covid 19"'),
        ('"#NHS"', "#nhs"),
        ("from:@BBC lang:EN @Who", "from:bbc lang:en @who"),
        ("a -(b c)", "a -(b c)"),
    ],
)
def test_format_query_is_canonical(query: str, canonical: str) -> None:
    assert format_query(parse(query)) == canonical


def test_format_query_round_trips() -> None:
    for node in _random_nodes(400, seed=3):
        text = format_query(node)
        assert parse(text) == node, text
        assert format_query(parse(text)) == text


def test_random_input_raises_only_query_syntax_errors() -> None:
    rng = random.Random(5)
    alphabet = [*'ab #@-()":OR AND from:lang:\t\u201c.', "OR", "AND", "from:", "lang:"]
    for _ in range(3000):
        query = "".join(rng.choices(alphabet, k=rng.randint(0, 25)))
        try:
            node = parse(query)
        except QuerySyntaxError as error:
            assert "\n" not in str(error)
            continue
        assert parse(format_query(node)) == node, query


def test_nodes_are_hashable_and_comparable() -> None:
    assert {parse("a b"), parse("A  B"), parse("a AND b")} == {And((a, b))}


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("NHS", Hashtag("nhs")),
        ("#NHS", Hashtag("nhs")),
        (" #Junior_Doctors ", Hashtag("junior_doctors")),
    ],
)
def test_hashtag_watch(tag: str, expected: Node) -> None:
    assert hashtag_watch(tag) == expected


@pytest.mark.parametrize("tag", ["", "#", "NHS England", "nhs-england", "##nhs", "nhs!", "#a#b"])
def test_hashtag_watch_rejects_malformed_tags(tag: str) -> None:
    with pytest.raises(QuerySyntaxError, match="not a valid hashtag"):
        hashtag_watch(tag)


def test_keyword_watch() -> None:
    assert keyword_watch("Strike") == Term("strike")
    assert keyword_watch("waiting lists") == Phrase(("waiting", "lists"))
    assert keyword_watch("covid-19") == Phrase(("covid", "19"))
    with pytest.raises(QuerySyntaxError, match="has no words"):
        keyword_watch(" -- ")


def test_account_watch() -> None:
    assert account_watch("@DHSCgovuk") == From("dhscgovuk")
    assert account_watch("User@Mastodon.Social") == From("user@mastodon.social")
    assert account_watch("name.bsky.social") == From("name.bsky.social")
    for bad in ("", "@", "two words", "bbc!"):
        with pytest.raises(QuerySyntaxError, match="not a valid account handle"):
            account_watch(bad)


def test_word_forms() -> None:
    assert word_forms("nhs") == ("nhs", "#nhs")
    assert word_forms("#nhs") == ("#nhs",)
    assert word_forms("@who") == ("@who",)


POST = MatchDoc.from_post(
    "Junior doctors' STRIKE: waiting-lists at the #NHS grow, says @DHSCgovuk. Café covid-19",
    author="@BBCNews",
    lang="en-GB",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("strike", True),
        ("Strike NHS", True),  # a plain word also finds its hashtag
        ("#nhs", True),
        ("#strike", False),  # a hashtag needs the hashtag
        ("dhscgovuk", False),  # a plain word does not find a mention
        ("@dhscgovuk", True),
        ("@nhs", False),
        ('"waiting lists"', True),  # a phrase across punctuation
        ('"lists waiting"', False),
        ('"at the nhs grow"', True),  # phrase words also find their hashtag form
        ('"the #nhs"', True),
        ('"junior doctors strike"', True),
        ('"junior doctors\' strike"', True),  # the apostrophe is punctuation
        ("cafe CAFÉ", True),  # case and diacritics ignored
        ("covid-19", True),
        ('"covid 19"', True),
        ("covid19", False),
        ("from:bbcnews", True),
        ("from:@BBCNews strike", True),
        ("from:dhscgovuk", False),
        ("lang:en", True),
        ("lang:cy", False),
        ("strike -nurses", True),
        ("strike -#nhs", False),
        ("strike -nhs", False),  # excluding a word excludes its hashtag too
        ("nurses OR strike", True),
        ("nurses OR midwives", False),
        ("(nurses OR doctors) strike -lang:fr", True),
        ("strike -(nurses OR dhscgovuk)", True),
        ("strike -(nurses OR @dhscgovuk)", False),
    ],
)
def test_matches(query: str, expected: bool) -> None:
    assert matches(parse(query), POST) is expected
    assert compile_query(parse(query))(POST) is expected


def test_match_doc_from_post_normalises() -> None:
    doc = MatchDoc.from_post("#NHS Café", author="@User@Instance.Social", lang="EN")
    assert doc == MatchDoc(("#nhs", "cafe"), "user@instance.social", "en")
    assert MatchDoc.from_post("x").author == ""
    assert MatchDoc.from_post("x").lang is None


def test_prefilter() -> None:
    assert prefilter(parse("nhs")) == {"nhs", "#nhs"}
    assert prefilter(parse("#nhs OR @who")) == {"#nhs", "@who"}
    assert prefilter(parse("lang:en nhs")) == {"nhs", "#nhs"}  # prefers a word to a language
    assert prefilter(parse("from:bbc")) == {"from:bbc"}
    assert prefilter(parse("a OR (b -c)")) == {"a", "#a", "b", "#b"}
    assert prefilter(Not(a)) is None


_VOCAB = ["nhs", "strike", "nurses", "doctors", "cafe", "covid", "19", "pay", "a", "b"]


def _random_doc(rng: random.Random) -> MatchDoc:
    words = [rng.choice(_VOCAB) for _ in range(rng.randint(0, 12))]
    words = [rng.choice(["", "", "#", "@"]) + word for word in words]
    text = rng.choice([" ", ", ", "-"]).join(words)
    author = rng.choice(["", "bbc", "@DHSC", "u@m.social"])
    return MatchDoc.from_post(text, author=author, lang=rng.choice([None, "en", "cy"]))


def _random_watch(rng: random.Random) -> Node:
    words = [rng.choice(_VOCAB) for _ in range(4)]
    forms = [rng.choice(["", "#", "@"]) + word for word in words]
    templates = [
        "{0}",
        "{0} {1}",
        "{0} OR {1}",
        '"{0} {1}"',
        "{0} -{1}",
        "({0} OR {1}) -({2} OR {3})",
        "from:bbc",
        "from:dhsc {0}",
        "lang:cy",
        "lang:en ({0} OR {1} {2})",
        "{0} OR from:u@m.social",
        "{0} {1} OR {2} -{3}",
    ]
    return parse(rng.choice(templates).format(*forms))


def test_matcher_agrees_with_matches() -> None:
    rng = random.Random(13)
    watches = [(f"watch-{i}", _random_watch(rng)) for i in range(120)]
    matcher = Matcher(watches)
    assert len(matcher) == 120
    hits = 0
    for _ in range(1500):
        doc = _random_doc(rng)
        expected = [key for key, node in watches if matches(node, doc)]
        assert matcher.match(doc) == expected, doc
        hits += len(expected)
    assert hits > 1000  # the random set really exercises matching


def test_a_compiled_query_agrees_with_matches() -> None:
    rng = random.Random(29)
    queries = [_random_watch(rng) for _ in range(200)]
    docs = [_random_doc(rng) for _ in range(200)]
    for node in queries:
        test = compile_query(node)
        assert [test(doc) for doc in docs] == [matches(node, doc) for doc in docs], node


def test_matcher_returns_keys_in_input_order() -> None:
    matcher = Matcher([(3, parse("nhs")), (1, parse("from:bbcnews")), (2, parse("strike"))])
    assert matcher.match(POST) == [3, 1, 2]
    assert Matcher([]).match(POST) == []
