"""Reading a WS-Security UsernameToken from a SOAP 1.1 header."""

from __future__ import annotations

from lxml import etree

from gateway import errors
from gateway.auth import UsernameToken
from soap_service.envelope import SOAP11_ENV

WSSE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
)
WSU = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
)
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)


def username_token(root: etree._Element) -> UsernameToken | None:
    """Return the envelope's UsernameToken, or ``None`` if it has none."""
    token = root.find(
        f"{{{SOAP11_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken"
    )
    if token is None:
        return None
    username = token.findtext(f"{{{WSSE}}}Username")
    password = token.find(f"{{{WSSE}}}Password")
    if not username or password is None or not password.text:
        raise errors.Unauthorized("the UsernameToken needs a Username and a Password")
    return UsernameToken(
        username=username.strip(),
        password=password.text.strip(),
        digest=password.get("Type", "").endswith("#PasswordDigest"),
        nonce=(token.findtext(f"{{{WSSE}}}Nonce") or "").strip() or None,
        created=(token.findtext(f"{{{WSU}}}Created") or "").strip() or None,
    )
