"""Secrets kept at rest (a webhook's signing secret, later an ERP's password): sealed with a key
derived from Django's ``SECRET_KEY`` (``LIANKE_SECRET_KEY``), so a copy of the database alone
does not reveal them.

No third-party cryptography: HMAC-SHA256 is the only primitive. A sealed text is
``v1:`` + base64url(nonce ‖ ciphertext ‖ tag) where the ciphertext is the plaintext XOR a
keystream of HMAC(k_enc, nonce ‖ counter) blocks (HMAC as a pseudo-random function in counter
mode) and the tag is HMAC(k_mac, "v1" ‖ nonce ‖ ciphertext) (encrypt-then-MAC). Both keys are
derived from the secret key with distinct labels; a random 128-bit nonce per seal.

Changing ``LIANKE_SECRET_KEY`` makes what was sealed unreadable (``unseal`` raises): re-enter
the secrets after a key change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from django.conf import settings

PREFIX = "v1:"
NONCE_BYTES = 16
TAG_BYTES = 32
BLOCK = hashlib.sha256().digest_size


class UnsealError(ValueError):
    """The text was not sealed with this installation's key, or was altered."""


def _key(label: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"lianke.sealing." + label, hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + BLOCK - 1) // BLOCK
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for counter in range(blocks)
    )[:length]


def _tag(nonce: bytes, ciphertext: bytes) -> bytes:
    return hmac.new(_key(b"mac"), b"v1" + nonce + ciphertext, hashlib.sha256).digest()


def seal(plaintext: str) -> str:
    data = plaintext.encode()
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = bytes(a ^ b for a, b in zip(data, _keystream(_key(b"enc"), nonce, len(data)), strict=True))
    return PREFIX + base64.urlsafe_b64encode(nonce + ciphertext + _tag(nonce, ciphertext)).decode()


def unseal(token: str) -> str:
    if not token.startswith(PREFIX):
        raise UnsealError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :].encode())
    except ValueError as exc:
        raise UnsealError("not a sealed value") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise UnsealError("not a sealed value")
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(nonce, ciphertext)):
        raise UnsealError("sealed with another key, or altered")
    stream = _keystream(_key(b"enc"), nonce, len(ciphertext))
    return bytes(a ^ b for a, b in zip(ciphertext, stream, strict=True)).decode()
