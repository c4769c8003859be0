"""Development sign-in: Clerk-format session tokens signed by a key made on first run, for local use only.

The tokens are verified by the same middleware and the same clerk-backend-api call as real Clerk tokens; only
the public key differs. The system check accounts.E002 refuses this mode whenever DEBUG is off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

DEV_ISSUER = "https://dev-sign-in.localhost"


def dev_signin_enabled() -> bool:
    """Development sign-in is on only when asked for (CLERK_DEV_SIGNIN) AND DEBUG is on, whatever else is set."""
    return bool(settings.CLERK_DEV_SIGNIN and settings.DEBUG)


@dataclass(frozen=True)
class DevSigningKey:
    """The development key pair and its `kid`."""

    private_key: rsa.RSAPrivateKey

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def kid(self) -> str:
        return "ins_dev_" + hashlib.sha256(self.public_pem.encode()).hexdigest()[:16]


def load_or_create_key(path: Path) -> DevSigningKey:
    """Read the PEM private key at `path`, making it (mode 0600) if it does not exist yet."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            # Another process made it first: use theirs, so both sign with the same key.
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return DevSigningKey(private_key)


@functools.cache
def _key_at(path: Path) -> DevSigningKey:
    return load_or_create_key(path)


def dev_signing_key() -> DevSigningKey:
    """The development key of this checkout (CLERK_DEV_KEY_PATH), made on first use."""
    return _key_at(Path(settings.CLERK_DEV_KEY_PATH))


def mint_session_token(
    key: DevSigningKey,
    *,
    user_id: str,
    authorized_party: str,
    org_id: str | None = None,
    org_slug: str | None = None,
    org_role: str | None = None,
    lifetime: int = 3600,
) -> str:
    """A v2 Clerk session token (the format Clerk issues since April 2025) for `user_id`."""
    now = int(time.time())
    claims: dict[str, object] = {
        "azp": authorized_party,
        "exp": now + lifetime,
        "fva": [0, -1],
        "iat": now,
        "iss": DEV_ISSUER,
        "jti": secrets.token_hex(10),
        "nbf": now - 5,
        "sid": "sess_dev_" + secrets.token_hex(12),
        "sts": "active",
        "sub": user_id,
        "v": 2,
    }
    if org_id:
        claims["o"] = {"id": org_id, "slg": org_slug or org_id, "rol": (org_role or "org:member").removeprefix("org:")}
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
