"""tweepy on listener's HTTP layer: the X API calls, sent through HttpClient to base_url.

XApi makes the v2 calls the X collector and its deletion check need, and returns
the JSON exactly as the API sent it (tweepy's ``return_type=requests.Response``).

tweepy 4.17 sends every request to the hard-coded ``https://api.twitter.com``
through ``requests`` with no timeout. Rather than patch tweepy, this module
mounts a transport adapter on the client's public ``session`` for that host:

    tweepy.Client ──session.request──▶ _HttpClientAdapter.send()
        rewrites https://api.twitter.com/2/... to <base_url>/2/...
        HttpClient.get_json(): timeouts, retries, capped backoff, rate limits, 401/403
        ◀── a requests.Response rebuilt from the whole, checked body

So retries and rate-limit waits stay in HttpClient (the one place for them), and
tweepy only ever sees a 2xx: HttpClient raises listener's own errors
(RetriableError, RateLimited, FatalSourceError, RequestRejected), which pass
through tweepy and requests unchanged. Any other URL the session is asked for
is refused, so nothing reaches a host that is not base_url.

tweepy logs the headers it sends at DEBUG level, Authorization included, so it
only ever holds a placeholder token; HttpClient adds the real one (a SecretStr).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from listener.collectors.http import HttpClient, Response
from listener.errors import FatalSourceError

TWEEPY_HOST = "https://api.twitter.com/"  # hard-coded in tweepy/client.py (BaseClient.request)
# What tweepy is told the bearer token is: harmless if its DEBUG log prints it.
PLACEHOLDER_TOKEN = "set-by-listener-http-layer"

# Comma-separated, as the API takes them (tweepy passes strings through).
EXPANSIONS = (
    "author_id,referenced_tweets.id,referenced_tweets.id.author_id,"
    "in_reply_to_user_id,entities.mentions.username"
)
TWEET_FIELDS = (
    "author_id,created_at,conversation_id,public_metrics,lang,entities,"
    "referenced_tweets,in_reply_to_user_id,note_tweet"
)
USER_FIELDS = "name,username,description,verified,verified_type,public_metrics,created_at,location"
_FIELDS = {"expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}


class _HttpClientAdapter(BaseAdapter):
    """Sends tweepy's GETs for api.twitter.com to base_url through a listener HttpClient."""

    def __init__(self, client: HttpClient) -> None:
        super().__init__()
        self._client = client

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Fetch the request's URL under base_url (tweepy's own timeout, None, is ignored)."""
        url = request.url or ""
        if request.method != "GET" or not url.startswith(TWEEPY_HOST):
            raise FatalSourceError(
                f"the X collector only reads (GET {TWEEPY_HOST}...), not {request.method}"
            )
        fetched = self._client.get_json(rebase(url, self._client.base_url))
        return _as_requests_response(fetched, request)

    def close(self) -> None:
        """Nothing to close: the HttpClient belongs to the collector, which closes it."""


class _RefusingAdapter(BaseAdapter):
    """Refuses every request: the X collector talks to base_url only, through HttpClient."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Raise: a URL outside tweepy's API host would bypass base_url and the HTTP layer."""
        host = urlsplit(request.url or "").netloc
        raise FatalSourceError(f"the X collector does not send requests to {host or 'that URL'}")

    def close(self) -> None:
        """Nothing to close."""


class XApi:
    """The X API v2 calls the collector makes, through tweepy on an HttpClient; JSON back."""

    def __init__(self, client: HttpClient) -> None:
        self.tweepy = tweepy_client(client)

    def search_recent(self, query: str, **params: Any) -> Any:
        """One page of GET /2/tweets/search/recent, with authors and referenced posts."""
        fields = {
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
        }
        return self.tweepy.search_recent_tweets(query, **fields, **params).json()

    def user_tweets(self, user_id: str, **params: Any) -> Any:
        """One page of GET /2/users/:id/tweets (retweets and replies included)."""
        fields = {
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
        }
        return self.tweepy.get_users_tweets(user_id, **fields, **params).json()

    def users_by(self, usernames: Sequence[str]) -> Any:
        """GET /2/users/by for up to 100 usernames; unknown ones come back in ``errors``."""
        return self.tweepy.get_users(usernames=list(usernames), user_fields="username").json()

    def tweets(self, ids: Sequence[str]) -> Any:
        """GET /2/tweets for up to 100 ids (default fields); gone ones come back in ``errors``."""
        return self.tweepy.get_tweets(list(ids)).json()


def rebase(url: str, base_url: str) -> str:
    """tweepy's URL with its hard-coded host replaced by ``base_url`` (which may have a path)."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{base_url.rstrip('/')}{parts.path}{query}"


def tweepy_client(client: HttpClient) -> Any:
    """A tweepy.Client whose every request goes through ``client`` (raw requests.Response back)."""
    api = tweepy.Client(
        bearer_token=PLACEHOLDER_TOKEN,
        # tweepy's waits are unbounded or up to 15 minutes inside a call; HttpClient decides.
        wait_on_rate_limit=False,
        # The JSON exactly as the API sent it: normalised by xv2 and kept as the raw payload.
        return_type=requests.Response,
    )
    refuse = _RefusingAdapter()
    api.session.mount("http://", refuse)
    api.session.mount("https://", refuse)
    # requests picks the longest matching prefix, so this wins for tweepy's own host.
    api.session.mount(TWEEPY_HOST, _HttpClientAdapter(client))
    return api


def _as_requests_response(
    fetched: Response, request: requests.PreparedRequest
) -> requests.Response:
    """A requests.Response carrying HttpClient's whole response, as tweepy expects one."""
    response = requests.Response()
    response.status_code = fetched.status
    response.headers = CaseInsensitiveDict(dict(fetched.headers))
    response.url = fetched.url
    response.request = request
    response.encoding = "utf-8"  # X always sends UTF-8 JSON
    try:
        response.reason = HTTPStatus(fetched.status).phrase
    except ValueError:
        response.reason = ""
    # requests has no public way to build a response around a body already read;
    # _content is how its own adapters and the test doubles (responses, requests-mock) do it.
    response._content = fetched.body
    response.raw = io.BytesIO(fetched.body)
    return response
