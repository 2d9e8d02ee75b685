// Known answers for the WireGuard handshake (and the control channel's domain of it), made by an
// independent implementation written from the whitepaper on Python's hashlib/hmac and OpenSSL
// (test/vectors/wireguard-handshake-reference.py prints exactly this object; no code shared with
// meshgate). Fixed static keys (RFC 7748 §6.1's Alice → Bob), fixed ephemerals, indices and
// wall clock → the exact initiation (148 bytes, with mac1, and mac2 where a cookie is given), the
// exact response (92 bytes) and the transport keys.

export interface HandshakeVector {
  readonly initiatorStatic: string;
  readonly responderStatic: string;
  readonly initiatorEphemeral: string;
  readonly responderEphemeral: string;
  readonly initiatorIndex: number;
  readonly responderIndex: number;
  readonly wallClockMs: number;
  readonly identifier: string;
  readonly mac1Label: string;
  readonly presharedKey: string;
  readonly cookie: string;
  readonly initiation: string;
  readonly response: string;
  readonly initiatorSend: string;
  readonly initiatorReceive: string;
}

export const HANDSHAKE_VECTORS: Readonly<Record<"wireguard" | "wireguardPskCookie" | "control", HandshakeVector>> = {
  "wireguard": {
    "initiatorStatic": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    "responderStatic": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    "initiatorEphemeral": "a8abababababababababababababababababababababababababababababab6b",
    "responderEphemeral": "c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d",
    "initiatorIndex": 287454020,
    "responderIndex": 1432778632,
    "wallClockMs": 1795521600123,
    "identifier": "WireGuard v1 zx2c4 Jason@zx2c4.com",
    "mac1Label": "mac1----",
    "presharedKey": "0000000000000000000000000000000000000000000000000000000000000000",
    "cookie": "",
    "initiation": "0100000044332211e3712d851a0e5d79b831c5e34ab22b41a198171de209b8b8faca23a11c6248599fd6757471e8fb9413a55a93a6ae8659e1ef9c81510c7b72e6f1bb345038f78627ac28b81505b68e34bb9e2c6a942f2ffc7e3a37fd3be998bd1d273184769c4dc4592b4ad4552e2fe6843a93ea57fb72fa6e5dc9dc15489d146ee63400000000000000000000000000000000",
    "response": "020000008877665544332211b5bea823d9c9ff576091c54b7c596c0ae296884f0e150290e88455d7fba6126f5c225b034b49a17ee05357a07957b0564690b60711736b8fe33e9a272db6482f00000000000000000000000000000000",
    "initiatorSend": "9da98bd8e59556fb6f8cad25bf3ad20e11824db4293c87292288c2e4a460ca36",
    "initiatorReceive": "d0b4d0c5bb2b29b3c1acacfdfbf40715143ce7cbb991b6c92a7a66578f9470f9"
  },
  "wireguardPskCookie": {
    "initiatorStatic": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    "responderStatic": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    "initiatorEphemeral": "a8abababababababababababababababababababababababababababababab6b",
    "responderEphemeral": "c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d",
    "initiatorIndex": 287454020,
    "responderIndex": 1432778632,
    "wallClockMs": 1795521600123,
    "identifier": "WireGuard v1 zx2c4 Jason@zx2c4.com",
    "mac1Label": "mac1----",
    "presharedKey": "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0ff0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0",
    "cookie": "00112233445566778899aabbccddeeff",
    "initiation": "0100000044332211e3712d851a0e5d79b831c5e34ab22b41a198171de209b8b8faca23a11c6248599fd6757471e8fb9413a55a93a6ae8659e1ef9c81510c7b72e6f1bb345038f78627ac28b81505b68e34bb9e2c6a942f2ffc7e3a37fd3be998bd1d273184769c4dc4592b4ad4552e2fe6843a93ea57fb72fa6e5dc9dc15489d146ee6340cf8356c2e10a0f745de83afa59c4704",
    "response": "020000008877665544332211b5bea823d9c9ff576091c54b7c596c0ae296884f0e150290e88455d7fba6126f10102d79e66994d0d686b784287150c306e0dae96ca61816ee8aade48af7a1a300000000000000000000000000000000",
    "initiatorSend": "75665f3e9907cfb8b6fe7b963ec151c909e17b1aa13c7c1ee95bb1ae5851b9ba",
    "initiatorReceive": "c44465d5784492ece8ee54e422f61f286bf9def841fb5944839e18fe9fd65af4"
  },
  "control": {
    "initiatorStatic": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    "responderStatic": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    "initiatorEphemeral": "a8abababababababababababababababababababababababababababababab6b",
    "responderEphemeral": "c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d",
    "initiatorIndex": 287454020,
    "responderIndex": 1432778632,
    "wallClockMs": 1795521600123,
    "identifier": "meshgate control v1",
    "mac1Label": "mgctl-m1",
    "presharedKey": "137bda990ff74a033b2f792b19979bdbc19b2ca32b67f4030cf72bcc9a0911fc",
    "cookie": "",
    "initiation": "0100000044332211e3712d851a0e5d79b831c5e34ab22b41a198171de209b8b8faca23a11c6248599fd6757471e8fb9413a55a93a6ae8659e1ef9c81510c7b72e6f1bb345038f78609726f6f080e55bfdbecb04a2aa514e3fc7e3a37fd3be998bd1d27314751e7d4e852d3afe7b2ec4ed63f591bb448d2d872e19a3f0fd40c5c019dfd8700000000000000000000000000000000",
    "response": "020000008877665544332211b5bea823d9c9ff576091c54b7c596c0ae296884f0e150290e88455d7fba6126f5bdf8738133418cce35252630b8ab155c1405af9375f2582509ac0f66635ae6600000000000000000000000000000000",
    "initiatorSend": "4348c545b9412c6afc97fee5ad0156a9117e487f0945738930d768b43d6eaf5d",
    "initiatorReceive": "331da33c9aa5be5a4f07f5c0ed849f9bd3360f22ab9b033d11d15f27c979c3ca"
  }
};
