"""Authentication and the caller of each request, shared by both protocols."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path

from gateway import errors
from gateway.auth import (
    LOCAL_OPERATOR,
    NonceCache,
    Principal,
    TokenStore,
    UsernameToken,
    check_username_token,
)
from gateway.config import Settings

# Each request runs in a fresh context (see RequestIdMiddleware), so these
# never carry over from an earlier request served by the same thread.
_principal: ContextVar[Principal | None] = ContextVar("principal", default=None)
_protocol: ContextVar[str] = ContextVar("protocol", default="-")


def current_principal() -> Principal:
    """Return the caller of the request being served.

    Raises an internal error rather than guessing when no adapter has
    authenticated the request, so a missed check can never grant rights.
    """
    principal = _principal.get()
    if principal is None:
        raise errors.GatewayError("request reached the engine unauthenticated")
    return principal


def current_protocol() -> str:
    """Return ``rest`` or ``soap`` for the request being served."""
    return _protocol.get()


def enter_request(principal: Principal, protocol: str) -> None:
    """Record the authenticated caller for the rest of this request."""
    _principal.set(principal)
    _protocol.set(protocol)


class Authenticator:
    """Turn request credentials into a :class:`Principal`.

    With no token configured (allowed on a loopback bind only), every caller
    is the local operator.
    """

    def __init__(self, tokens: TokenStore, settings: Settings) -> None:
        self.tokens = tokens
        self.allow_password_text = settings.wsse_password_text
        self.nonces: NonceCache | None = None
        if tokens.enabled:
            self.nonces = NonceCache(
                Path(settings.state_dir) / "wsse-nonces.sqlite3",
                timedelta(seconds=settings.wsse_window),
            )

    def authenticate(
        self,
        authorization: str | None,
        username_token: UsernameToken | None = None,
    ) -> Principal:
        """Return the caller, or raise :class:`Unauthorized`."""
        if not self.tokens.enabled:
            return LOCAL_OPERATOR
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                raise errors.Unauthorized(
                    "the Authorization header must be 'Bearer <token>'"
                )
            return self.tokens.bearer(credentials.strip())
        if username_token is not None:
            assert self.nonces is not None
            return check_username_token(
                username_token,
                self.tokens,
                self.nonces,
                allow_text=self.allow_password_text,
            )
        raise errors.Unauthorized(
            "credentials are missing; send 'Authorization: Bearer <token>'"
            " (or, over SOAP, a WS-Security UsernameToken)"
        )
