"""Clerk-shaped session tokens, signed with an RSA key made in the test session."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DROP = object()
"""Pass as a claim's value to leave the claim out of the token."""

TEST_ORIGIN = "http://testserver"
TEST_ISSUER = "https://clerk.test.example"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _encode_permissions(permissions: tuple[str, ...]) -> dict[str, str]:
    """v2's compact form of "org:<feature>:<permission>" strings: `per` names, one `fpm` bit mask per feature."""
    if not permissions:
        return {}
    pairs = [tuple(p.split(":")[1:3]) for p in permissions]
    names = _unique(name for _, name in pairs)
    masks = [
        sum(1 << names.index(name) for f, name in pairs if f == feature)
        for feature in _unique(f for f, _ in pairs)
    ]
    return {"per": ",".join(names), "fpm": ",".join(str(mask) for mask in masks)}


class SigningKey:
    """An RSA key pair with a `kid`, as a Clerk instance has."""

    def __init__(self, kid: str = "ins_test_1") -> None:
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": _b64(numbers.n), "e": _b64(numbers.e)}


class TokenFactory:
    """Mints v1 and v2 session tokens; every claim and the header can be overridden."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def claims(
        self,
        *,
        version: int = 2,
        user_id: str = "user_alice",
        org: tuple[str, str, str] | None = None,
        permissions: tuple[str, ...] = (),
        lifetime: int = 60,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Claims as Clerk issues them. `org` is (id, slug, role without the `org:` prefix)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "azp": TEST_ORIGIN,
            "exp": now + lifetime,
            "fva": [0, -1],
            "iat": now - 1,
            "iss": TEST_ISSUER,
            "jti": secrets.token_hex(10),
            "nbf": now - 6,
            "sid": f"sess_{user_id}",
            "sub": user_id,
        }
        if version == 2:
            claims.update(v=2, sts="active", pla="u:free", fea="o:chat")
            if org:
                claims["o"] = {"id": org[0], "slg": org[1], "rol": org[2], **_encode_permissions(permissions)}
                if permissions:
                    claims["fea"] = ",".join(f"o:{f}" for f in _unique(p.split(":")[1] for p in permissions))
        elif org:
            claims.update(
                org_id=org[0],
                org_slug=org[1],
                org_role=f"org:{org[2]}",
                org_permissions=[p for p in permissions],
            )
        for name, value in overrides.items():
            if value is DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def token(
        self,
        *,
        key: SigningKey | None = None,
        algorithm: str = "RS256",
        headers: dict[str, Any] | None = None,
        **claim_options: Any,
    ) -> str:
        signer = key or self.key
        header = {"kid": signer.kid, **(headers or {})}
        return jwt.encode(self.claims(**claim_options), signer.private_key, algorithm=algorithm, headers=header)

    def sign(self, claims: dict[str, Any], *, key: SigningKey | None = None) -> str:
        signer = key or self.key
        return jwt.encode(claims, signer.private_key, algorithm="RS256", headers={"kid": signer.kid})
