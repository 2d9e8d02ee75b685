#!/usr/bin/env python3
"""An independent reference for the WireGuard handshake (whitepaper §5.4.2-§5.4.5), written from
the paper alone on Python's hashlib (BLAKE2s), hmac and the `cryptography` package (OpenSSL's
X25519 and ChaCha20-Poly1305): no code shared with meshgate. It prints the known answers that
test/vectors/wireguard-handshake.ts holds; rerun it (Debian: python3-cryptography) to check them:

    python3 test/vectors/wireguard-handshake-reference.py
"""
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"


def HASH(*parts):
    return hashlib.blake2s(b"".join(parts)).digest()


def MAC(key, message):
    return hashlib.blake2s(message, key=key, digest_size=16).digest()


def HMAC(key, message):
    return hmac.new(key, message, hashlib.blake2s).digest()


def KDF(n, key, data):
    t0 = HMAC(key, data)
    outputs, previous = [], b""
    for i in range(1, n + 1):
        previous = HMAC(t0, previous + bytes([i]))
        outputs.append(previous)
    return outputs


def PUBLIC(private):
    raw = serialization.Encoding.Raw
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(raw, serialization.PublicFormat.Raw)


def DH(private, public):
    return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))


def AEAD(key, counter, plaintext, aad):
    return ChaCha20Poly1305(key).encrypt(b"\0" * 4 + struct.pack("<Q", counter), plaintext, aad)


def TAI64N(wall_clock_ms):
    seconds = wall_clock_ms // 1000
    nanoseconds = (wall_clock_ms - seconds * 1000) * 1_000_000
    return struct.pack(">QI", 0x400000000000000A + seconds, nanoseconds & ~(2**24 - 1) & 0xFFFFFFFF)


def handshake(case):
    h = lambda name: bytes.fromhex(case[name])
    s_i, s_r, e_i, e_r, psk = h("initiatorStatic"), h("responderStatic"), h("initiatorEphemeral"), h("responderEphemeral"), h("presharedKey")
    spub_i, spub_r, epub_i, epub_r = PUBLIC(s_i), PUBLIC(s_r), PUBLIC(e_i), PUBLIC(e_r)
    label_mac1 = case["mac1Label"].encode()
    cookie = bytes.fromhex(case["cookie"]) if case["cookie"] else None

    c = HASH(CONSTRUCTION)
    hh = HASH(c, case["identifier"].encode())
    hh = HASH(hh, spub_r)
    (c,) = KDF(1, c, epub_i)
    hh = HASH(hh, epub_i)
    c, k = KDF(2, c, DH(e_i, spub_r))
    encrypted_static = AEAD(k, 0, spub_i, hh)
    hh = HASH(hh, encrypted_static)
    c, k = KDF(2, c, DH(s_i, spub_r))
    encrypted_timestamp = AEAD(k, 0, TAI64N(case["wallClockMs"]), hh)
    hh = HASH(hh, encrypted_timestamp)
    initiation = struct.pack("<I", 1) + struct.pack("<I", case["initiatorIndex"]) + epub_i + encrypted_static + encrypted_timestamp
    initiation += MAC(HASH(label_mac1, spub_r), initiation)
    initiation += MAC(cookie, initiation) if cookie else bytes(16)

    (c,) = KDF(1, c, epub_r)
    hh = HASH(hh, epub_r)
    (c,) = KDF(1, c, DH(e_r, epub_i))
    (c,) = KDF(1, c, DH(e_r, spub_i))
    c, tau, k = KDF(3, c, psk)
    hh = HASH(hh, tau)
    encrypted_nothing = AEAD(k, 0, b"", hh)
    response = struct.pack("<I", 2) + struct.pack("<I", case["responderIndex"]) + struct.pack("<I", case["initiatorIndex"]) + epub_r + encrypted_nothing
    response += MAC(HASH(label_mac1, spub_i), response)
    response += bytes(16)
    initiator_send, initiator_receive = KDF(2, c, b"")
    return {
        "initiation": initiation.hex(),
        "response": response.hex(),
        "initiatorSend": initiator_send.hex(),
        "initiatorReceive": initiator_receive.hex(),
    }


# Static keys: RFC 7748 §6.1's Alice (initiator) and Bob (responder); the rest chosen for these
# vectors. Scalars are given as stored (X25519 clamps them).
BASE = {
    "initiatorStatic": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    "responderStatic": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    "initiatorEphemeral": "a8abababababababababababababababababababababababababababababab6b",
    "responderEphemeral": "c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d",
    "initiatorIndex": 0x11223344,
    "responderIndex": 0x55667788,
    "wallClockMs": 1795521600123,  # 2026-11-24T12:00:00.123Z
    "identifier": "WireGuard v1 zx2c4 Jason@zx2c4.com",
    "mac1Label": "mac1----",
    "presharedKey": "00" * 32,
    "cookie": "",
}
CASES = {
    "wireguard": BASE,
    "wireguardPskCookie": {**BASE, "presharedKey": "0f" * 16 + "f0" * 16, "cookie": "00112233445566778899aabbccddeeff"},
    # The control channel: its own prologue and mac1 label, and a public domain value as PSK.
    "control": {
        **BASE,
        "identifier": "meshgate control v1",
        "mac1Label": "mgctl-m1",
        "presharedKey": hashlib.blake2s(b"meshgate control v1 preshared key").hexdigest(),
    },
}

print(json.dumps({name: {**case, **handshake(case)} for name, case in CASES.items()}, indent=2))
