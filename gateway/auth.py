"""API tokens, roles and WS-Security UsernameToken checks.

Tokens are configured by the operator, in ``GATEWAY_TOKENS`` as
``owner:role:token`` entries separated by commas, or in the file named by
``GATEWAY_TOKENS_FILE`` with one ``owner role sha256:<hex>`` line per token
(``python -m gateway.auth new --owner alice --role operator`` makes one).
Only hashes are kept in memory.

SOAP clients may send a WS-Security UsernameToken instead of a bearer
token. Its password is :func:`soap_password` of the token, a hash that the
server can keep in place of the token. With PasswordDigest the server
checks SHA-1(nonce + created + password).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path

from gateway import errors


class Role(str, Enum):
    READER = "reader"
    OPERATOR = "operator"


#: Operations a reader may call; an operator may call every operation.
READ_OPERATIONS = frozenset({"inspect", "list", "logs"})


@dataclass(frozen=True)
class Principal:
    """The caller of a request: the token's owner and role."""

    owner: str
    role: Role

    def require(self, operation: str) -> None:
        """Raise :class:`Forbidden` unless the role allows *operation*."""
        if self.role is Role.OPERATOR or operation in READ_OPERATIONS:
            return
        raise errors.Forbidden(
            f"role {self.role.value!r} of {self.owner!r} may not {operation}; "
            "an operator token is needed"
        )


#: The caller when no token is configured, which only a loopback bind allows.
LOCAL_OPERATOR = Principal("local", Role.OPERATOR)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def soap_password(token: str) -> str:
    """Return the UsernameToken password that goes with *token*."""
    return hashlib.sha256(b"container-gateway/wsse:" + token.encode()).hexdigest()


def _check_owner(owner: str) -> str:
    if not owner or not owner.replace("-", "").replace("_", "").isalnum():
        raise errors.ConfigurationError(
            f"token owner {owner!r} must be letters, digits, '-' or '_'"
        )
    return owner


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise errors.ConfigurationError(
            f"token role {role!r} must be 'reader' or 'operator'"
        ) from None


@dataclass(frozen=True)
class TokenEntry:
    principal: Principal
    bearer_hash: str
    #: Hash that UsernameToken passwords are compared with, or None when the
    #: entry came from a file of hashes (bearer tokens only).
    soap_password: str | None


class TokenStore:
    """The configured tokens, looked up in constant time per entry."""

    def __init__(self, entries: list[TokenEntry]) -> None:
        self.entries = entries

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> TokenStore:
        environ = dict(os.environ) if environ is None else environ
        entries: list[TokenEntry] = []
        for item in filter(None, (environ.get("GATEWAY_TOKENS") or "").split(",")):
            parts = item.strip().split(":", 2)
            if len(parts) != 3 or not parts[2]:
                raise errors.ConfigurationError(
                    "GATEWAY_TOKENS entries must be owner:role:token"
                )
            owner, role, token = parts
            principal = Principal(_check_owner(owner), _check_role(role))
            entries.append(
                TokenEntry(principal, token_hash(token), soap_password(token))
            )
        path = environ.get("GATEWAY_TOKENS_FILE")
        if path:
            entries.extend(_read_token_file(Path(path)))
        return cls(entries)

    def bearer(self, token: str) -> Principal:
        """Return the principal of a bearer token, or raise Unauthorized."""
        presented = token_hash(token)
        found = None
        # Every entry is compared, so the time taken does not tell which
        # entry, if any, shares a prefix with the presented token.
        for entry in self.entries:
            if hmac.compare_digest(presented, entry.bearer_hash):
                found = entry.principal
        if found is None:
            raise errors.Unauthorized("the bearer token is not valid")
        return found

    def soap_entry(self, owner: str) -> TokenEntry | None:
        for entry in self.entries:
            if entry.principal.owner == owner and entry.soap_password:
                return entry
        return None


def _read_token_file(path: Path) -> list[TokenEntry]:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise errors.ConfigurationError(
            f"cannot read GATEWAY_TOKENS_FILE: {exc}"
        ) from exc
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) not in (3, 4) or not fields[2].startswith("sha256:"):
            raise errors.ConfigurationError(
                f"{path}:{number}: expected 'owner role sha256:<hex> [wsse:<hex>]'"
            )
        principal = Principal(_check_owner(fields[0]), _check_role(fields[1]))
        wsse = fields[3].removeprefix("wsse:") if len(fields) == 4 else None
        entries.append(TokenEntry(principal, fields[2].removeprefix("sha256:"), wsse))
    return entries


class NonceCache:
    """Nonces seen within the freshness window, shared by all workers.

    gunicorn runs several worker processes, so an in-memory set would let a
    replay through on another worker; a small SQLite file is shared instead.
    """

    def __init__(self, path: Path, window: timedelta) -> None:
        self.path = path
        self.window = window
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS nonce (value TEXT PRIMARY KEY, seen REAL)"
            )

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    def remember(self, nonce: str) -> None:
        """Record *nonce*, or raise Unauthorized if it was seen before."""
        connection = self._connect()
        now = time.time()
        connection.execute(
            "DELETE FROM nonce WHERE seen < ?", (now - 2 * self.window.total_seconds(),)
        )
        try:
            connection.execute("INSERT INTO nonce VALUES (?, ?)", (nonce, now))
        except sqlite3.IntegrityError:
            raise errors.Unauthorized(
                "the UsernameToken nonce was already used"
            ) from None


@dataclass(frozen=True)
class UsernameToken:
    username: str
    password: str
    digest: bool
    nonce: str | None
    created: str | None


def check_username_token(
    token: UsernameToken,
    store: TokenStore,
    nonces: NonceCache,
    *,
    allow_text: bool,
    now: datetime | None = None,
) -> Principal:
    """Verify a WS-Security UsernameToken and return its principal."""
    entry = store.soap_entry(token.username)
    if not token.digest:
        if not allow_text:
            raise errors.Unauthorized(
                "PasswordText is disabled; send a PasswordDigest UsernameToken"
            )
        expected = entry.soap_password if entry else ""
        if entry is None or not hmac.compare_digest(token.password, expected or ""):
            raise errors.Unauthorized("the UsernameToken is not valid")
        return entry.principal

    if not token.nonce or not token.created:
        raise errors.Unauthorized("a PasswordDigest needs a Nonce and a Created time")
    _check_created(token.created, nonces.window, now or datetime.now(timezone.utc))
    try:
        nonce = base64.b64decode(token.nonce, validate=True)
    except ValueError:
        raise errors.Unauthorized("the UsernameToken Nonce is not base64") from None
    secret = entry.soap_password if entry and entry.soap_password else ""
    digest = base64.b64encode(
        hashlib.sha1(nonce + token.created.encode() + secret.encode()).digest()
    ).decode()
    if entry is None or not hmac.compare_digest(digest, token.password):
        raise errors.Unauthorized("the UsernameToken is not valid")
    nonces.remember(token.nonce)
    return entry.principal


def _check_created(created: str, window: timedelta, now: datetime) -> None:
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        raise errors.Unauthorized(
            f"Created {created[:40]!r} is not a UTC time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if abs(now - moment) > window:
        raise errors.Unauthorized(
            "the UsernameToken Created time is outside the accepted window of "
            f"{int(window.total_seconds())} seconds; check the client's clock"
        )


def new_token() -> str:
    return secrets.token_urlsafe(32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.auth", description="Create an API token."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser(
        "new", help="print a new token and its GATEWAY_TOKENS_FILE line"
    )
    new.add_argument("--owner", required=True, help="name recorded on containers")
    new.add_argument(
        "--role", choices=[role.value for role in Role], default="operator"
    )
    args = parser.parse_args(argv)
    _check_owner(args.owner)
    token = new_token()
    print(f"token: {token}")
    print(f"SOAP UsernameToken: username {args.owner}, password {soap_password(token)}")
    print("line for GATEWAY_TOKENS_FILE:")
    hashes = f"sha256:{token_hash(token)} wsse:{soap_password(token)}"
    print(f"{args.owner} {args.role} {hashes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
