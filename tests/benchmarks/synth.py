"""Deterministic synthetic twarc2 files: X API v2 search pages about UK policy, any size.

    python -m tests.benchmarks.synth --posts 100000 --out /tmp/x.jsonl [--seed 1]

Each line is one response page as twarc2 writes it: 100 tweets in `data`, their
authors, mentioned users and referenced tweets in `includes`, then `meta` and
`__twarc`. Memory stays constant whatever the size: tweets are generated in
time order, and retweets, replies and quotes only refer back to a bounded ring
of recent tweets. Every referenced tweet is also in some page's `data`, so the
file holds exactly --posts distinct tweet ids; the writer checks that by
reading the file back. The same --posts and --seed always give the same bytes.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1  # bump when the output changes, so cached files are rebuilt
PAGE_SIZE = 100
RING_SIZE = 4096  # recent tweets that retweets, replies and quotes may refer to
VIRAL_SIZE = 64  # widely retweeted tweets
TWITTER_EPOCH_MS = 1288834974657
SEQUENCE_BITS = 22  # the low bits of a snowflake id; here they hold the tweet's index
MAX_POSTS = 1 << SEQUENCE_BITS
WEEK_START = datetime(2026, 3, 9, tzinfo=UTC)  # Monday of ISO week 2026-W11
WEEK_SECONDS = 7 * 24 * 3600
KIND_SHARES = (("retweet", 0.40), ("reply", 0.18), ("quote", 0.07))  # the rest are originals
HIT_SHARE = 0.7  # of policy texts written to hit a watch: ~60% of all posts match one
LONG_SHARE = 0.02  # long posts, whose full text is in note_tweet
API_URL = "https://api.twitter.com/2/tweets/search/all"
PROFILE_IMAGES = "https://pbs.twimg.com/profile_images"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


# ---- vocabulary ----------------------------------------------------------------
# Texts are written to hit the watches of config/listener.yaml on purpose (a
# watched keyword in a sentence, a sentence that satisfies a watch query, or a
# watched hashtag) or to miss them: the other sentences avoid every watched
# word, including near-misses the matcher must not take ("heat pumps", "potholes").


@dataclass(frozen=True)
class Topic:
    """What posts about one policy area say."""

    keywords: tuple[str, ...]  # watched keywords, as written in running text
    queries: tuple[str, ...]  # sentences that satisfy one of the area's watch queries
    tags: tuple[str, ...]  # watched hashtags
    phrases: tuple[str, ...]  # on-topic noun phrases that no watch matches
    other_tags: tuple[str, ...]  # on-topic hashtags that no watch matches


TOPICS = {
    "health": Topic(
        ("waiting list", "GP appointment", "social care", "junior doctors"),
        (
            "Junior doctors confirm a fresh walkout from {day}.",
            "Nurses in {place} vote for industrial action over pay.",
            "Consultants say strike dates will be announced next week.",
            "Not one NHS dentist taking new patients within 30 miles of {place}.",
            "Dentistry in {place} has basically collapsed.",
        ),
        ("#NHS", "#SocialCare", "#JuniorDoctors", "#WaitingLists"),
        _words(
            "A&E waits|ambulance response times|hospital parking charges|"
            "prescription charges|mental health services|maternity units|"
            "the vaccine rollout|cancer referral targets|community pharmacies"
        ),
        ("#AandE", "#MentalHealth", "#Pharmacy", "#GPcrisis"),
    ),
    "education": Topic(
        ("free school meals", "teacher recruitment", "Ofsted"),
        (
            "SEND funding in {place} is at breaking point.",
            "The EHCP tribunal backlog in {place} is now over a year.",
            "Another school in {place} shut this morning over RAAC.",
            "Parents in {place} still waiting on EHCP assessments.",
        ),
        ("#RAAC", "#SEND", "#FreeSchoolMeals", "#TeacherPay"),
        _words(
            "school budgets|tuition fees|exam results|class sizes|"
            "school uniform costs|the curriculum review|breakfast clubs|"
            "teacher workload|university finances"
        ),
        ("#Education", "#Schools", "#EdTwitter", "#TeacherTwitter"),
    ),
    "energy": Topic(
        ("price cap", "standing charge", "heat pump", "warm home discount"),
        (
            "Energy bills set to rise again in {month}.",
            "Energy prices: is there any help for pensioners this winter?",
            "The energy bills increase hits families in {place} hardest.",
        ),
        ("#EnergyBills", "#PriceCap", "#NetZero", "#HeatPumps"),
        _words(
            "offshore wind auctions|grid connections|loft insulation grants|"
            "smart meters|solar panels on new homes|heat pumps|nuclear power|"
            "the energy regulator|home insulation"
        ),
        ("#Energy", "#Solar", "#OffshoreWind", "#CostOfLiving"),
    ),
    "housing": Topic(
        ("no-fault eviction", "section 21", "social housing", "damp and mould"),
        (
            "Landlord just served us a section 21. Two kids, nowhere to go.",
            "Rents increase again in {place}: up {num}% in a year.",
            "Rent arrears and eviction notices are climbing across {place}.",
        ),
        ("#Renters", "#RentersRights", "#Homelessness", "#Housing"),
        _words(
            "planning reform|leasehold reform|house prices|first-time buyers|"
            "new towns|housing benefit|building safety|cladding remediation|"
            "council housing"
        ),
        ("#Planning", "#Leasehold", "#HousingCrisis", "#FirstTimeBuyers"),
    ),
    "transport": Topic(
        ("bus fare", "pothole", "rail strike", "train cancellations"),
        (
            "Trains cancelled again between {place} and {place2}.",
            "Rail delays this morning are a joke.",
            "Fourth day running of train cancellations on my line.",
        ),
        ("#HS2", "#BusFares", "#Potholes", "#RailStrike"),
        _words(
            "potholes|bus routes|fuel duty|EV charging points|speed cameras|"
            "20mph limits|railcards|the Elizabeth line|HS2|cycle lanes"
        ),
        ("#Buses", "#Cycling", "#EVs", "#Roads"),
    ),
    "general": Topic(
        (),
        (),
        (),
        _words(
            "the Budget|PMQs|the by-election|the spending review|council tax|"
            "the cost of living|immigration figures|the local elections|"
            "devolution deals|the Autumn Statement"
        ),
        ("#UKPolitics", "#PMQs", "#Budget2026", "#Westminster"),
    ),
}
TOPIC_WEIGHTS = {"health": 24, "education": 14, "energy": 18, "housing": 16, "transport": 16}
TOPIC_WEIGHTS["general"] = 12
TEMPLATES = (
    "Anyone else think {k} in {place} is {adj}?",
    "New figures out this morning on {k}: {num}% worse than a year ago.",
    "{who} says {k} will be sorted by {month}. We have heard that before.",
    "Three years of promises on {k} and nothing to show for it here in {place}.",
    "Really good thread on {k} from {who}, worth ten minutes of your time.",
    "Spoke to our MP about {k} today. Polite, but no real answers.",
    "If you care about {k}, the consultation closes on {day}. Have your say.",
    "The select committee hearing on {k} was eye-opening. Transcript is online.",
    "Honestly, the state of {k} in this country is {adj}.",
    "{who} on {k}: \u201c{quote}\u201d",
    "Our council has published its plan for {k}. Page {num} is where it gets interesting.",
    "My mum has been dealing with {k} for months now and it\u2019s exhausting.",
    "Is anyone tracking {k} across the regions? {place} looks like an outlier.",
    "Ministers keep talking about {k}, but the money never seems to reach {place}.",
    "Briefing on {k} for journalists at 11am, details below.",
    "Thread: what the latest data on {k} actually tells us (1/{n})",
    "Can we talk about {k} for a minute? Nobody in Westminster seems to want to.",
    "Fair play to everyone in {place} dealing with {k} day in, day out.",
    "Today\u2019s papers are full of {k}. Meanwhile nothing changes on the ground.",
    "Local radio phone-in on {k} this morning was something else.",
    "Costs for {k} up by \u00a3{num}m on last year, according to the latest accounts.",
)
REPLY_OPENERS = _words(
    "Exactly this.|Not in my experience.|Source?|This is so true.|"
    "Same here in {place}.|Have you written to your MP?|Absolutely spot on."
)
ADJECTIVES = _words(
    "a disgrace|getting worse|finally improving|a postcode lottery|not sustainable|"
    "better than the headlines suggest|a total mess|slowly getting better|shocking"
)
WHO = _words(
    "the Secretary of State|the minister|the shadow minister|the council leader|"
    "our MP|the Chancellor|the IFS|the NAO|Citizens Advice|the King\u2019s Fund|"
    "the Resolution Foundation|a senior official"
)
QUOTES = _words(
    "We are working flat out on this|The system is broken and everyone knows it|"
    "There is more to do, but progress is real|This is simply not good enough|"
    "We will set out our plans shortly|Nobody should have to live like this"
)
PLACES = _words(
    "Leeds|Manchester|Bristol|Birmingham|Newcastle|Sheffield|Norwich|Plymouth|"
    "Cardiff|Swansea|Ynys Môn|Glasgow|Dundee|Belfast|Derry|Hull|Stoke|Luton|Croydon|"
    "Hackney|Tower Hamlets|Bradford|Blackpool|Cornwall|Cumbria|Kent|Lincolnshire|"
    "Wrexham|Milton Keynes|Peterborough|Sunderland|Middlesbrough|Oldham|"
    "Wolverhampton|Exeter"
)
MONTHS = ("April", "May", "June", "the summer", "the autumn", "Christmas", "next spring")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "31 March", "12 April")
FOREIGN = {  # language: sentences, and its share of posts
    "cy": (
        (
            "Mae\u2019r rhestrau aros yn {place} yn hirach nag erioed.",
            "Biliau ynni yn codi eto, a neb yn gwrando.",
            "Diolch i staff y GIG yn {place} am bopeth.",
        ),
        0.02,
    ),
    "pl": (
        (
            "Kolejki do lekarza w {place} s\u0105 coraz d\u0142u\u017csze.",
            "Czynsz znowu w g\u00f3r\u0119, a pensja stoi w miejscu.",
        ),
        0.008,
    ),
    "es": (("Las listas de espera del NHS siguen creciendo en {place}.",), 0.005),
    "fr": (("Les factures d\u2019\u00e9nergie augmentent encore au Royaume-Uni.",), 0.005),
    "de": (("Die Wartelisten im NHS werden immer l\u00e4nger, auch in {place}.",), 0.004),
    "pt": (("As listas de espera no NHS continuam a crescer em {place}.",), 0.004),
    "ur": (
        (
            "\u0627\u06cc\u0646 \u0627\u06cc\u0686 \u0627\u06cc\u0633 \u0645\u06cc\u06ba "
            "\u0627\u0646\u062a\u0638\u0627\u0631 \u0628\u0691\u06be \u0631\u06c1\u0627 "
            "\u06c1\u06d2\u06d4",
        ),
        0.002,
    ),
    "und": (("\U0001f644\U0001f644", "\U0001f44f\U0001f44f\U0001f44f"), 0.002),
}
EMOJI = _words(
    "\U0001f621|\U0001f644|\U0001f44f|\U0001f4c9|\U0001f926\u200d\u2640\ufe0f|\U0001f4b7"
)
NEWS = (
    "https://www.bbc.co.uk/news/uk-politics-{n8}",
    "https://www.gov.uk/government/news/{slug}",
    "https://www.theguardian.com/society/2026/mar/{dd}/{slug}",
    "https://www.kingsfund.org.uk/insight-and-analysis/blogs/{slug}",
    "https://commonslibrary.parliament.uk/research-briefings/cbp-{n4}/",
)
OFFICIAL_ACCOUNTS = (
    ("DHSCgovuk", "Department of Health and Social Care", "Official account of the DHSC."),
    ("NHSEngland", "NHS England", "Official account of NHS England."),
    ("educationgovuk", "Department for Education", "Official account of the DfE."),
    ("energygovuk", "Department for Energy Security and Net Zero", "Official account of DESNZ."),
    ("mhclg", "Ministry of Housing, Communities and Local Government", "Official MHCLG account."),
    ("transportgovuk", "Department for Transport", "Official account of the DfT."),
    ("BBCPolitics", "BBC Politics", "Political news and analysis from BBC News."),
    ("Ofgem", "Ofgem", "The energy regulator for Great Britain."),
    ("NHSConfed", "NHS Confederation", "The membership body for the whole NHS."),
    ("CitizensAdvice", "Citizens Advice", "Free, confidential advice."),
    ("Shelter", "Shelter", "Fighting for home."),
    ("NetworkRail", "Network Rail", "Running and improving Britain's railway."),
)
FIRST = _words(
    "Sarah|James|Aisha|Tom|Priya|Gareth|Siobhan|Mohammed|Emma|Kwame|Rhiannon|Liam|"
    "Zofia|Callum|Fatima|Dave|Chloe|Oluwaseun|Niamh|Raj|Hannah|Ewan|Bethan|Kieran|"
    "João|Renée|Amir"
)
LAST = _words(
    "Smith|Jones|Khan|Williams|Patel|O'Neill|Evans|Begum|Taylor|Davies|Murphy|"
    "MacLeod|Nowak|Okafor|Hughes|Campbell|Ali|Reid"
)
JOBS = _words(
    "NHS nurse|GP|Paramedic|Care worker|Primary teacher|Headteacher|SENCo|"
    "Retired engineer|Local councillor|Journalist|Policy researcher|Energy analyst|"
    "Housing officer|Bus driver|Student|Small business owner|Civil servant"
)
INTERESTS = ("Runner", "Gardener", "Cyclist", "Parent of two", "Tea drinker", "Birder")
BIOS = (
    "{job} in {place}. Views my own.",
    "{job}. {interest}. She/her",
    "{job} | {interest}",
    "Campaigning for fairer {phrase} in {place}.",
    "",
    "{interest}, {job}, {place} born and bred.",
)
# Relative posting rate by hour of day (UTC).
HOURLY_WEIGHTS = (2, 1, 1, 1, 1, 2, 4, 7, 10, 10, 9, 9, 10, 10, 9, 8, 8, 8, 9, 10, 11, 10, 7, 4)
URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class _Slots(dict[str, str]):
    """Template values, drawn only when a template asks for them."""

    def __init__(self, rng: random.Random, phrase: str) -> None:
        super().__init__(k=phrase)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        rng = self.rng
        value = {
            "place": lambda: rng.choice(PLACES),
            "place2": lambda: rng.choice(PLACES),
            "adj": lambda: rng.choice(ADJECTIVES),
            "who": lambda: rng.choice(WHO),
            "quote": lambda: rng.choice(QUOTES),
            "month": lambda: rng.choice(MONTHS),
            "day": lambda: rng.choice(DAYS),
            "num": lambda: str(rng.randint(2, 60)),
            "n": lambda: str(rng.randint(3, 12)),
            "job": lambda: rng.choice(JOBS),
            "interest": lambda: rng.choice(INTERESTS),
            "phrase": lambda: rng.choice(TOPICS["general"].phrases),
        }[key]()
        self[key] = value
        return value


def _fill(template: str, rng: random.Random, phrase: str = "") -> str:
    text = template.format_map(_Slots(rng, phrase))
    return text[0].upper() + text[1:]


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    plain_first = first.replace("\u00e3", "a").replace("\u00e9", "e")
    plain_last = last.replace("'", "")
    pattern = rng.randrange(5)
    if pattern == 0:
        username = f"{plain_first}{plain_last}"
    elif pattern == 1:
        username = f"{plain_first}_{plain_last}{rng.randint(1, 99)}"
    elif pattern == 2:
        username = f"{plain_first[0]}{plain_last}{rng.randint(1950, 2005)}"
    elif pattern == 3:
        username = f"{plain_last.lower()}{plain_first.lower()}"
    else:
        username = (
            f"{rng.choice(PLACES).split()[0]}{rng.choice(('Tenants', 'Nurse', 'Dad', 'Mum'))}"
        )
    return username[:15], f"{first} {last}"


def _bio(rng: random.Random) -> str:
    return rng.choice(BIOS).format_map(_Slots(rng, ""))


def _photo(key: str, rng: random.Random) -> dict[str, Any]:
    name = "".join(rng.choices(URL_CHARS, k=15))
    return {
        "media_key": key,
        "type": "photo",
        "url": f"https://pbs.twimg.com/media/{name}.jpg",
        "width": rng.choice((1200, 1080, 2048)),
        "height": rng.choice((675, 1350, 1536)),
    }


def _topic(rng: random.Random) -> str:
    return rng.choices(list(TOPIC_WEIGHTS), weights=list(TOPIC_WEIGHTS.values()))[0]


def _language(rng: random.Random) -> str:
    draw = rng.random()
    for lang, (_, share) in FOREIGN.items():
        if draw < share:
            return lang
        draw -= share
    return "en"


@dataclass(frozen=True)
class Spec:
    """What one authored text should be."""

    topic: str
    lang: str
    hit: str  # "keyword", "query", "tag", or "" to miss every watch
    long: bool  # a long post (note_tweet)
    room: int  # characters left in a 280-character text

    @classmethod
    def draw(cls, rng: random.Random, *, topic: str, kind: str, used: int) -> Spec:
        """Draw language, hit and length for a text that already holds `used` characters."""
        hit = ""
        if topic != "general" and rng.random() < HIT_SHARE:
            hit = rng.choices(("keyword", "query", "tag"), weights=(5, 2, 3))[0]
        lang = _language(rng)
        long = kind == "original" and lang == "en" and rng.random() < LONG_SHARE
        return cls(topic=topic, lang=lang, hit=hit, long=long, room=280 - used)


def compose(text: Text, rng: random.Random, spec: Spec, users: Users) -> list[int]:
    """Write the text `spec` asks for; return the indices of the users it mentions."""
    topic = TOPICS[spec.topic]
    tag = rng.choice(topic.tags) if spec.hit == "tag" else ""
    end = len(text.text) + (rng.randint(400, 2400) if spec.long else spec.room)
    space = end - len(tag) - 1  # where the sentences must stop, leaving room for the tag
    target = space if spec.long else len(text.text) + int(rng.triangular(60, 280, 100))
    if spec.lang != "en":
        sentences, _ = FOREIGN[spec.lang]
        body = _fill(rng.choice(sentences), rng)
    elif spec.hit == "keyword":
        body = _fill(rng.choice(TEMPLATES), rng, rng.choice(topic.keywords))
    elif spec.hit == "query":
        body = _fill(rng.choice(topic.queries), rng)
    else:
        body = _fill(rng.choice(TEMPLATES), rng, rng.choice(topic.phrases))
    if text.text and rng.random() < 0.5:
        body = _fill(rng.choice(REPLY_OPENERS), rng) + " " + body
    for _ in range(12 if spec.long else 4):
        if len(text.text) + len(body) >= min(target, space) or spec.lang != "en":
            break
        more = _fill(rng.choice(TEMPLATES), rng, rng.choice(topic.phrases))
        if len(text.text) + len(body) + 1 + len(more) <= min(space, target + 40):
            body += " " + more
    text.add(body)
    return _extras(text, rng, tags=(tag, topic.other_tags), end=end, users=users)


def _extras(
    text: Text, rng: random.Random, *, tags: tuple[str, tuple[str, ...]], end: int, users: Users
) -> list[int]:
    """Append an emoji, the watched tag (if any), other tags, a mention and a link, if they fit."""
    tag, others = tags
    reserve = len(tag) + 1 if tag else 0
    mentioned: list[int] = []
    emoji = rng.choice(EMOJI)
    if rng.random() < 0.2 and len(text.text) + 1 + len(emoji) + reserve <= end:
        text.add(" " + emoji)
    if tag:
        text.add(" ")
        text.tag(tag)
    for other in rng.sample(others, rng.choice((0, 0, 0, 1, 1, 2))):
        if len(text.text) + 1 + len(other) <= end:
            text.add(" ")
            text.tag(other)
    if rng.random() < 0.12:
        index = users.pick(rng)
        user = users.get(index)
        if len(text.text) + 5 + len(user["username"]) <= end:
            text.add(" cc ")
            text.mention(user)
            mentioned.append(index)
    if rng.random() < 0.15 and len(text.text) + 24 <= end:
        text.add(" ")
        text.url(_news_link(rng), rng)
    return mentioned


def _news_link(rng: random.Random) -> str:
    words = rng.choice(TOPICS[_topic(rng)].phrases).lower().replace("&", "and").split()
    return rng.choice(NEWS).format(
        n8=rng.randint(60_000_000, 69_999_999),
        n4=rng.randint(9000, 9999),
        dd=f"{rng.randint(9, 15):02d}",
        slug="-".join(w for w in words if w != "the") + f"-{rng.randint(1, 999)}",
    )


def iso(moment: datetime) -> str:
    """An API timestamp: '2026-03-09T07:15:02.000Z'."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Users:
    """A pool of accounts, each generated on demand from its index (so nothing is stored)."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = max(size, len(OFFICIAL_ACCOUNTS) + 20)
        self.seed = seed

    def pick(self, rng: random.Random) -> int:
        """An author: official accounts post a little, a few heavy posters a lot."""
        officials = len(OFFICIAL_ACCOUNTS)
        if rng.random() < 0.03:
            return rng.randrange(officials)
        return officials + int((self.size - officials) * rng.random() ** 2.2)

    @functools.lru_cache(maxsize=8192)  # noqa: B019 - one pool per file; bounded cache
    def get(self, index: int) -> dict[str, Any]:
        """The X v2 user object of account `index`."""
        rng = random.Random(f"{self.seed}:user:{index}")
        if index < len(OFFICIAL_ACCOUNTS):
            username, name, description = OFFICIAL_ACCOUNTS[index]
            verified_type, followers = "government", rng.randint(80_000, 3_000_000)
        else:
            username, name = _person(rng)
            description = _bio(rng)
            verified_type = "blue" if rng.random() < 0.06 else "none"
            followers = int(rng.paretovariate(1.1) * 40)
        joined = datetime(2008, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(6500))
        prefix = rng.randrange(10, 99) if joined.year < 2014 else rng.randrange(10**11, 10**12)
        user: dict[str, Any] = {
            "id": str(prefix * 10**7 + index),  # the index keeps ids unique
            "name": name,
            "username": username,
            "created_at": iso(joined),
            "description": description,
            "location": rng.choice(PLACES) if rng.random() < 0.7 else "",
            "protected": False,
            "verified": verified_type != "none",
            "verified_type": verified_type,
            "profile_image_url": f"{PROFILE_IMAGES}/{prefix}{index}/a_normal.jpg",
            "public_metrics": {
                "followers_count": followers,
                "following_count": rng.randint(20, 3000),
                "tweet_count": rng.randint(50, 90_000),
                "listed_count": followers // rng.randint(40, 400),
                "like_count": rng.randint(0, 120_000),
            },
        }
        return user


@dataclass
class Text:
    """A tweet text under construction, with entity offsets (code points) kept as it grows."""

    text: str = ""
    hashtags: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    urls: list[dict[str, Any]] = field(default_factory=list)

    def add(self, words: str) -> None:
        self.text += words

    def tag(self, tag: str) -> None:
        start = len(self.text)
        self.text += tag
        self.hashtags.append({"start": start, "end": len(self.text), "tag": tag[1:]})

    def mention(self, user: dict[str, Any]) -> None:
        start = len(self.text)
        self.text += "@" + user["username"]
        self.mentions.append(
            {"start": start, "end": len(self.text), "username": user["username"], "id": user["id"]}
        )

    def url(self, expanded: str, rng: random.Random) -> None:
        short = "https://t.co/" + "".join(rng.choices(URL_CHARS, k=10))
        start = len(self.text)
        self.text += short
        display = expanded.split("://", 1)[1]
        self.urls.append(
            {
                "start": start,
                "end": len(self.text),
                "url": short,
                "expanded_url": expanded,
                "display_url": display if len(display) < 27 else display[:26] + "…",
            }
        )

    def entities(self, limit: int | None = None) -> dict[str, Any]:
        """The entities object, keeping only entities that end within `limit` characters."""
        found = {}
        for name in ("hashtags", "mentions", "urls"):
            kept = [e for e in getattr(self, name) if limit is None or e["end"] <= limit]
            if kept:
                found[name] = kept
        return found


@dataclass
class Recent:
    """A tweet that later tweets may refer to, with what they need to know about it."""

    tweet: dict[str, Any]
    author: int
    topic: str


@dataclass
class Page:
    """One response page being filled."""

    data: list[dict[str, Any]] = field(default_factory=list)
    users: dict[int, None] = field(default_factory=dict)  # user indices, in order
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)  # referenced, by id
    media: list[dict[str, Any]] = field(default_factory=list)


class Generator:
    """Makes the tweets of one file, in time order."""

    def __init__(self, posts: int, seed: int) -> None:
        self.posts = posts
        self.rng = random.Random(seed)
        self.users = Users(posts // 20, seed)
        self.ring: list[Recent] = []
        self.viral: list[Recent] = []
        self.clock = _Clock(posts)

    def pages(self) -> Iterator[Page]:
        """The file's pages, each with PAGE_SIZE tweets (the last may hold fewer)."""
        page = Page()
        for index in range(self.posts):
            self.tweet(index, page)
            if len(page.data) == PAGE_SIZE:
                yield page
                page = Page()
        if page.data:
            yield page

    def tweet(self, index: int, page: Page) -> None:
        """Make tweet `index` and add it, its users and its references to `page`."""
        created = self.clock.at(index, self.rng)
        ms = int(created.timestamp()) * 1000 + self.rng.randrange(1000)
        tweet_id = str(((ms - TWITTER_EPOCH_MS) << SEQUENCE_BITS) | index)
        kind = self._kind()
        author = self.users.pick(self.rng)
        if kind == "retweet":
            tweet, recent = self._retweet(tweet_id, author, page)
        else:
            tweet, recent = self._authored(tweet_id, author, kind, page)
        tweet["created_at"] = iso(created)
        page.data.append(tweet)
        page.users[author] = None
        if recent is not None:
            self._remember(recent)

    def _kind(self) -> str:
        if not self.ring:
            return "original"
        draw = self.rng.random()
        for kind, share in KIND_SHARES:
            if draw < share:
                return kind
            draw -= share
        return "original"

    def _remember(self, recent: Recent) -> None:
        if len(self.ring) < RING_SIZE:
            self.ring.append(recent)
        else:
            self.ring[self.rng.randrange(RING_SIZE)] = recent
        followers = self.users.get(recent.author)["public_metrics"]["followers_count"]
        if self.rng.random() < min(0.5, followers / 20_000):
            if len(self.viral) < VIRAL_SIZE:
                self.viral.append(recent)
            else:
                self.viral[self.rng.randrange(VIRAL_SIZE)] = recent

    def _refer(self, page: Page, recent: Recent) -> None:
        page.tweets[recent.tweet["id"]] = recent.tweet
        page.users[recent.author] = None

    def _retweet(
        self, tweet_id: str, author: int, page: Page
    ) -> tuple[dict[str, Any], Recent | None]:
        pool = self.viral if self.viral and self.rng.random() < 0.6 else self.ring
        original = self.rng.choice(pool)
        self._refer(page, original)
        source = original.tweet
        prefix = Text()
        prefix.add("RT ")
        prefix.mention(self.users.get(original.author))
        prefix.add(": ")
        shift = len(prefix.text)
        full = prefix.text + source["text"]
        text = full if len(full) <= 140 else full[:139] + "…"
        for name in ("hashtags", "mentions", "urls"):
            for entity in source.get("entities", {}).get(name, []):
                moved = {**entity, "start": entity["start"] + shift, "end": entity["end"] + shift}
                getattr(prefix, name).append(moved)
        metrics = source["public_metrics"]
        tweet = _tweet_fields(tweet_id, author, self.users, text=text, lang=source["lang"])
        tweet["entities"] = prefix.entities(limit=len(text) - (text != full))
        tweet["public_metrics"] = {**_zero_metrics(), "retweet_count": metrics["retweet_count"]}
        tweet["referenced_tweets"] = [{"type": "retweeted", "id": source["id"]}]
        return tweet, None

    def _authored(
        self, tweet_id: str, author: int, kind: str, page: Page
    ) -> tuple[dict[str, Any], Recent]:
        rng = self.rng
        parent = self._parent() if kind == "reply" else None
        if parent is not None and rng.random() < 0.3:
            author = parent.author  # a thread: the author replies to themself
        quoted = rng.choice(self.ring) if kind == "quote" else None
        topic = parent.topic if parent else quoted.topic if quoted else _topic(rng)
        text = Text()
        if parent is not None and parent.author != author:  # a thread's posts mention nobody
            text.mention(self.users.get(parent.author))
            text.add(" ")
            page.users[parent.author] = None
        spec = Spec.draw(rng, topic=topic, kind=kind, used=len(text.text) + 24 * bool(quoted))
        page.users.update(dict.fromkeys(compose(text, rng, spec, self.users)))
        if quoted is not None:
            self._refer(page, quoted)
            quoted_user = self.users.get(quoted.author)["username"]
            text.add(" ")
            text.url(f"https://twitter.com/{quoted_user}/status/{quoted.tweet['id']}", rng)
        tweet = _tweet_fields(tweet_id, author, self.users, text=text.text, lang=spec.lang)
        _finish_text(tweet, text)
        tweet["public_metrics"] = _metrics(rng, self.users.get(author))
        if parent is not None:
            self._refer(page, parent)
            tweet["conversation_id"] = parent.tweet["conversation_id"]
            tweet["in_reply_to_user_id"] = parent.tweet["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent.tweet["id"]}]
        elif quoted is not None:
            tweet["referenced_tweets"] = [{"type": "quoted", "id": quoted.tweet["id"]}]
        if rng.random() < 0.08:
            key = f"3_{tweet_id}"
            tweet["attachments"] = {"media_keys": [key]}
            page.media.append(_photo(key, rng))
        return tweet, Recent(tweet=tweet, author=author, topic=topic)

    def _parent(self) -> Recent:
        # Replies mostly answer very recent tweets.
        back = min(len(self.ring) - 1, int(self.rng.expovariate(1 / 200)))
        return self.ring[-1 - back] if len(self.ring) < RING_SIZE else self.rng.choice(self.ring)


def _tweet_fields(
    tweet_id: str, author: int, users: Users, *, text: str, lang: str
) -> dict[str, Any]:
    return {
        "id": tweet_id,
        "text": text,
        "author_id": users.get(author)["id"],
        "conversation_id": tweet_id,
        "edit_history_tweet_ids": [tweet_id],
        "lang": lang,
        "possibly_sensitive": False,
        "reply_settings": "everyone",
    }


def _finish_text(tweet: dict[str, Any], text: Text) -> None:
    """Set the text and entities; a long text goes to note_tweet, `text` keeps its start."""
    if len(text.text) <= 280:
        tweet["text"] = text.text
        if entities := text.entities():
            tweet["entities"] = entities
        return
    cut = text.text[:279].rsplit(" ", 1)[0] + "…"
    tweet["text"] = cut
    if entities := text.entities(limit=len(cut) - 1):
        tweet["entities"] = entities
    tweet["note_tweet"] = {"text": text.text, "entities": text.entities()}


def _zero_metrics() -> dict[str, int]:
    return dict.fromkeys(
        ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count"), 0
    ) | {"impression_count": 0}


def _metrics(rng: random.Random, user: dict[str, Any]) -> dict[str, int]:
    reach = user["public_metrics"]["followers_count"] * rng.uniform(0.05, 1.5)
    likes = int(reach * rng.uniform(0.0, 0.05) * rng.paretovariate(1.5))
    return {
        "retweet_count": likes // rng.randint(3, 12),
        "reply_count": likes // rng.randint(4, 30),
        "like_count": likes,
        "quote_count": likes // rng.randint(20, 80),
        "bookmark_count": likes // rng.randint(10, 50),
        "impression_count": int(reach) + likes * 30,
    }


class _Clock:
    """Spreads tweets over one ISO week, busier by day than by night, in time order."""

    def __init__(self, posts: int) -> None:
        weights = [HOURLY_WEIGHTS[h % 24] * (0.8 if h >= 120 else 1.0) for h in range(168)]
        total = sum(weights)
        self.edges = [0.0]
        for weight in weights:
            self.edges.append(self.edges[-1] + weight / total)
        self.posts = posts
        self.hour = 0

    def at(self, index: int, rng: random.Random) -> datetime:
        share = (index + rng.random()) / self.posts
        while self.hour < 167 and self.edges[self.hour + 1] <= share:
            self.hour += 1
        low, high = self.edges[self.hour], self.edges[self.hour + 1]
        seconds = 3600 * (self.hour + (share - low) / (high - low))
        return WEEK_START + timedelta(seconds=min(int(seconds), WEEK_SECONDS - 1))


def page_json(page: Page, users: Users, *, number: int, last: bool) -> dict[str, Any]:
    """The response page as the API returned it, with twarc2's `__twarc` stamp."""
    data = page.data
    includes: dict[str, Any] = {"users": [users.get(i) for i in page.users]}
    if page.tweets:
        includes["tweets"] = list(page.tweets.values())
    if page.media:
        includes["media"] = page.media
    meta: dict[str, Any] = {
        "newest_id": max(data, key=lambda t: int(t["id"]))["id"],
        "oldest_id": min(data, key=lambda t: int(t["id"]))["id"],
        "result_count": len(data),
    }
    if not last:
        meta["next_token"] = hashlib.sha1(f"page{number}".encode()).hexdigest()[:24]
    retrieved = WEEK_START + timedelta(days=7, hours=2, seconds=number)
    return {
        "data": data,
        "includes": includes,
        "meta": meta,
        "__twarc": {
            "url": f"{API_URL}?query=%28NHS+OR+energy+OR+housing%29+lang%3Aen&max_results=100",
            "version": "2.14.0",
            "retrieved_at": retrieved.isoformat(),
        },
    }


@dataclass(frozen=True)
class Written:
    """What `write` produced."""

    path: Path
    pages: int
    size: int
    sha256: str


def write(path: Path, *, posts: int, seed: int = 1) -> Written:
    """Write a synthetic twarc2 file of `posts` distinct tweets, page by page."""
    if not 1 <= posts <= MAX_POSTS:
        raise ValueError(f"--posts must be between 1 and {MAX_POSTS:,}")
    generator = Generator(posts, seed)
    digest = hashlib.sha256()
    pages = size = 0
    total_pages = -(-posts // PAGE_SIZE)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as out:
        for page in generator.pages():
            line = json.dumps(
                page_json(page, generator.users, number=pages, last=pages == total_pages - 1)
            )
            encoded = (line + "\n").encode()
            out.write(encoded)
            digest.update(encoded)
            pages += 1
            size += len(encoded)
    partial.replace(path)  # a cached file is never half-written
    return Written(path=path, pages=pages, size=size, sha256=digest.hexdigest())


@dataclass(frozen=True)
class Census:
    """What a file holds, counted by reading it back."""

    distinct: int  # tweet ids in data + includes.tweets
    data: int
    included: int
    retweets: int


def census(path: Path, *, posts: int) -> Census:
    """Count the distinct tweet ids of a file written by `write` (a bitmap: constant memory)."""
    seen = bytearray(-(-posts // 8))
    distinct = data = included = retweets = 0
    mask = MAX_POSTS - 1
    with open(path, "rb") as lines:
        for line in lines:
            page = json.loads(line)
            tweets = page["data"] + page.get("includes", {}).get("tweets", [])
            for position, tweet in enumerate(tweets):
                index = int(tweet["id"]) & mask
                byte, bit = divmod(index, 8)
                if not seen[byte] & (1 << bit):
                    seen[byte] |= 1 << bit
                    distinct += 1
                if position < len(page["data"]):
                    data += 1
                    retweets += tweet["text"].startswith("RT @")
                else:
                    included += 1
    return Census(distinct=distinct, data=data, included=included, retweets=retweets)


def main(argv: list[str] | None = None) -> int:
    """Command line: write a file, read it back, print what it holds."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.synth", description=__doc__)
    parser.add_argument("--posts", type=int, required=True, help="distinct tweets to write")
    parser.add_argument("--out", type=Path, required=True, help="file to write (.jsonl)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    written = write(args.out, posts=args.posts, seed=args.seed)
    counted = census(args.out, posts=args.posts)
    print(
        f"{written.path}: {written.size / 1e6:,.1f} MB, {written.pages:,} pages, "
        f"{counted.data:,} tweets in data ({counted.retweets:,} retweets), "
        f"{counted.included:,} in includes.tweets; "
        f"distinct tweet ids (data + includes.tweets): {counted.distinct:,}; "
        f"sha256 {written.sha256[:16]}"
    )
    if counted.distinct != args.posts:
        print(f"error: expected {args.posts:,} distinct tweet ids", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
