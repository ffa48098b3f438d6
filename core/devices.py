"""Trusted devices: a signed token a browser or till receives when someone signs in on it, so that the owner of an
account can still sign in there while strangers' wrong guesses slow the account down everywhere else (OWASP's
"device cookie" answer to lockout by someone else's guesses).

A token names one username and expires; it is never a credential by itself (the password is still checked). Too
many wrong passwords under one token stop it being trusted (see `core/service/users.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

import jwt

from core.auth import derive_key
from core.localtime import utc_now
from core.settings import Settings

DEVICE_COOKIE = "mitrakia_device"
DEVICE_COOKIE_PATH = "/masuk"  # sent only to the sign-in form, never with other requests
DEVICE_AUDIENCE = "mitrakia:device"
DEVICE_ALGORITHM = "HS256"
# A shared till may be used by a few cashiers: the cookie keeps the newest tokens, one per username.
MAX_TOKENS_PER_BROWSER = 5


def _key(settings: Settings) -> bytes:
    return derive_key(settings.secret_key, "device-token")


def issue(username: str, settings: Settings) -> str:
    now = utc_now()
    claims = {
        "sub": username,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + timedelta(seconds=settings.device_token_ttl),
        "aud": DEVICE_AUDIENCE,
    }
    return jwt.encode(claims, _key(settings), algorithm=DEVICE_ALGORITHM)


def trusted_id(tokens: Iterable[str], username: str, settings: Settings) -> str | None:
    """The id of the first valid token among `tokens` issued for `username`, or None."""
    for token in tokens:
        try:
            claims = jwt.decode(
                token, _key(settings), algorithms=[DEVICE_ALGORITHM], audience=DEVICE_AUDIENCE,
                options={"require": ["sub", "jti", "exp"]},
            )  # fmt: skip
        except jwt.PyJWTError:
            continue
        if claims["sub"] == username and isinstance(claims["jti"], str):
            return claims["jti"]
    return None


def cookie_tokens(raw: str | None) -> list[str]:
    """The tokens a browser's device cookie holds (newest first)."""
    return [token for token in (raw or "").split(" ") if token][:MAX_TOKENS_PER_BROWSER]


def with_token(raw: str | None, token: str, username: str, settings: Settings) -> str:
    """The cookie's new value: `token` first, then the other usernames' tokens still valid (the oldest drop off)."""
    kept = [
        old for old in cookie_tokens(raw) if trusted_id([old], username, settings) is None and _valid(old, settings)
    ]
    return " ".join([token, *kept][:MAX_TOKENS_PER_BROWSER])


def _valid(token: str, settings: Settings) -> bool:
    try:
        jwt.decode(token, _key(settings), algorithms=[DEVICE_ALGORITHM], audience=DEVICE_AUDIENCE)
    except jwt.PyJWTError:
        return False
    return True
