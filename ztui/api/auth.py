"""Provides `TokenAuth`: the OAuth access token, cached, refreshed, and sent on every call.

An `httpx.Auth` whose `async_auth_flow` puts `Authorization: Bearer ...` on each API
request. The token comes from the client-credentials grant (docs/zuora-api.md §2.2), is held in
memory only, and is refreshed 300 s before it expires (half-way for short-lived ones).
When the server answers 401 anyway, the flow fetches a fresh one and sends the request
once more; a second refusal is final. A pre-issued bearer token is used as given and
never refreshed.

The HTTP side of the token request (retries, error mapping, the error log) belongs to
the transport, which the flow reaches through `TokenExchange`.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Final, Protocol

import httpx

from ztui.api.errors import ApiError, AuthError, TokenAnswerMalformed
from ztui.core.logsetup import forget_secret, register_secret
from ztui.core.secret import Secret

TOKEN_PATH: Final = "/oauth/token"
"""The client-credentials token endpoint (docs/zuora-api.md §2.2)."""

NO_REFRESH: Final = "ztui.no_refresh"
"""A request extension: when set, a refused token is not refreshed for this request."""

_DEFAULT_LIFETIME: Final = 3599.0

KEPT_TOKENS: Final = 4
"""Issued access tokens kept in the log mask: the current one and the few before it that
a request still in flight may carry."""


class TokenExchange(Protocol):
    """What the flow needs from the transport."""

    async def post_token(self, form: Mapping[str, str]) -> tuple[httpx.Response, float]:
        """POST the grant; the 200 answer and the clock reading when it was asked for."""
        ...

    async def refused(self, response: httpx.Response) -> None:
        """Read a 401 answer and record the refusal in the error log."""
        ...

    def record(self, error: ApiError) -> None:
        """Add a failure to the error log."""
        ...


class TokenUnavailable(Exception):  # noqa: N818 - it wraps the error, it is not one
    """No token could be had; raised out of `httpx.AsyncClient.send` by the flow.

    The transport re-raises `error`, so the API call fails with the token's own error
    rather than retrying it as if the API request itself had failed.
    """

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error
        """Why there is no token."""


class TokenAuth(httpx.Auth):
    """Bearer authentication with the client-credentials token (docs/zuora-api.md §2.2).

    Args:
        exchange: Sends the token request and judges API responses.
        client_id: OAuth client id (with `client_secret`).
        client_secret: OAuth client secret.
        bearer_token: A pre-issued access token, used instead of client credentials.
        clock: Monotonic time source for the token's expiry.
    """

    def __init__(
        self,
        exchange: TokenExchange,
        *,
        client_id: str | None,
        client_secret: Secret | None,
        bearer_token: Secret | None,
        clock: Callable[[], float],
    ) -> None:
        self._exchange = exchange
        self._client_id = client_id
        self._client_secret = client_secret
        self._bearer = bearer_token
        self._clock = clock
        for known in (client_secret, bearer_token):
            if known:
                register_secret(known.reveal())
        self._token: Secret | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self._issued: deque[str] = deque()

    @property
    def can_refresh(self) -> bool:
        """True when a refused token can be replaced (client credentials, not a bearer)."""
        return self._bearer is None and self._client_id is not None

    def secrets(self) -> tuple[Secret, ...]:
        """The credentials and the current token, for masking in messages."""
        return tuple(s for s in (self._client_secret, self._bearer, self._token) if s)

    def clear(self) -> None:
        """Forget the cached token."""
        self._token = None

    def forget(self, request: httpx.Request) -> None:
        """Forget the cached token if it is the one `request` carried."""
        token = self._token
        if token is not None and request.headers.get("Authorization") == (
            f"Bearer {token.reveal()}"
        ):
            self._token = None

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Refuse synchronous clients: the token fetch is asynchronous.

        Raises:
            RuntimeError: Always.
        """
        raise RuntimeError("TokenAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Send `request` with the token; once more with a fresh one if it is refused.

        Raises:
            TokenUnavailable: The token could not be had.
        """
        token = await self._token_or_raise()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if (
            response.status_code != httpx.codes.UNAUTHORIZED
            or not self.can_refresh
            or request.extensions.get(NO_REFRESH)
        ):
            return
        # docs/zuora-api.md §2.2: refresh once and retry once; a second refusal is final.
        await self._exchange.refused(response)
        self._forget(token)
        token = await self._token_or_raise()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        yield request

    async def _token_or_raise(self) -> Secret:
        try:
            return await self.token()
        except ApiError as exc:
            raise TokenUnavailable(exc) from None

    async def token(self) -> Secret:
        """The access token: the cached one while it is fresh, else a new one.

        Raises:
            ApiError: No credentials, or the token request failed.
        """
        if self._bearer is not None:
            return self._bearer
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        # One refresh for all concurrent callers: whoever gets the lock second finds a
        # fresh token and uses it.
        async with self._lock:
            token = self._token
            if token is not None and self._clock() < self._refresh_at:
                return token
            return await self._fetch()

    def _forget(self, used: Secret) -> None:
        # Only drop the token the failed request carried: a concurrent request may already
        # have replaced it with a fresh one.
        if self._token is used:
            self._token = None

    async def _fetch(self) -> Secret:
        client_id = self._client_id
        client_secret = self._client_secret
        if not client_id or client_secret is None or not client_secret:
            raise AuthError(
                "No credentials configured: set a client id and client secret "
                "(or a bearer token) for this connection."
            )
        form = {
            "client_id": client_id,
            "client_secret": client_secret.reveal(),
            "grant_type": "client_credentials",
        }
        response, issued = await self._exchange.post_token(form)
        return self._store(response, issued)

    def _store(self, response: httpx.Response, issued: float) -> Secret:
        request_id = response.headers.get("Zuora-Request-Id")
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_raw = body.get("expires_in", 3599) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            # Never quote a token response: it may hold a token in an unexpected place.
            error = TokenAnswerMalformed(
                "The token response has no access_token",
                status=response.status_code,
                request_id=request_id,
                method="POST",
                path=TOKEN_PATH,
            )
            self._exchange.record(error)
            raise error
        lifetime = _lifetime(expires_raw)
        # docs/zuora-api.md §2.2: refresh 300 s before expiry; short-lived tokens at half-life.
        margin = 300.0 if lifetime >= 600 else lifetime / 2
        # Every issued token is masked wherever it might surface (logs, journal, tracebacks),
        # while it or one of the few before it may still be in use; older ones have long
        # expired, and keeping them would grow the mask with every refresh.
        register_secret(token)
        self._issued.append(token)
        while len(self._issued) > KEPT_TOKENS:
            forget_secret(self._issued.popleft())
        self._token = Secret(token)
        self._refresh_at = issued + lifetime - margin
        return self._token


def _lifetime(expires_raw: object) -> float:
    """`expires_in` in seconds; anything unreadable or not positive counts as 3599."""
    if isinstance(expires_raw, bool) or not isinstance(expires_raw, int | float | str):
        return _DEFAULT_LIFETIME
    try:
        lifetime = float(expires_raw)
    except ValueError:
        return _DEFAULT_LIFETIME
    if not lifetime > 0 or lifetime == float("inf"):
        return _DEFAULT_LIFETIME
    return lifetime
