"""A fake OpenID provider for tests: its own RSA and EC keys, a JWKS served over loopback HTTP,
and tokens it signs (or forges)."""

from __future__ import annotations

import base64
import json
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.example.test/realms/deskflow"
AUDIENCE = "deskflow-api"


@cache
def private_key(kid: str, algorithm: str):
    """Key generation is slow (RSA); each named key is made once per test run."""
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


class FakeIdentityProvider:
    """Signs tokens with its own RSA and EC keys and serves their JWKS on 127.0.0.1, counting fetches."""

    def __init__(self):
        self.published: dict[str, str] = {}  # kid -> algorithm
        self.fetches = 0
        self.publish("rsa-1", "RS256")
        self.publish("ec-1", "ES256")
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                provider.fetches += 1
                body = json.dumps(provider.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()
        self.jwks_url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def publish(self, kid: str, algorithm: str) -> None:
        self.published[kid] = algorithm

    def jwks(self) -> dict:
        keys = []
        for kid, algorithm in self.published.items():
            public_key = private_key(kid, algorithm).public_key()
            to_jwk = RSAAlgorithm.to_jwk if algorithm == "RS256" else ECAlgorithm.to_jwk
            keys.append({**to_jwk(public_key, as_dict=True), "kid": kid, "use": "sig", "alg": algorithm})
        return {"keys": keys}

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "subject-1",
            "email": "Dana@Example.test",
            "name": "Dana Scully",
            "iat": now,
            "exp": now + 300,
            "roles": ["agent"],
            "workspaces": ["ws-alpha"],
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, algorithm: str = "RS256", kid: str | None = None, signing_kid: str | None = None, **claims) -> str:
        kid = kid or ("rsa-1" if algorithm == "RS256" else "ec-1")
        key = private_key(signing_kid or kid, algorithm)
        return jwt.encode(self.claims(**claims), key, algorithm=algorithm, headers={"kid": kid})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def unsigned_token(claims: dict, kid: str = "rsa-1") -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{part(claims)}."


def oidc_settings(provider: FakeIdentityProvider, **extra) -> dict:
    return {
        "AUTH_MODE": "oidc",
        "OIDC_JWKS_URL": provider.jwks_url,
        "OIDC_ISSUER": ISSUER,
        "OIDC_AUDIENCE": AUDIENCE,
        "CURSOR_SECRET": "cursor-secret-for-tests-at-least-32-bytes",
        **extra,
    }
