#!/usr/bin/env python3
"""Checks a byzvote group signature with an independent BLS implementation (py_ecc).

Not part of the test suite; run by hand:

    pip install py_ecc
    cargo run --release -p byzvote-dkg --example dkg_sim | grep ^VECTOR | cut -c8- > /tmp/v.json
    python3 crates/dkg/tests/py_ecc_check.py /tmp/v.json

The vector holds the 48-byte group key, the 96-byte signature recovered from 2f+1 DKG
shares, the namespace, the message, and `signed_message`, which must equal
varint(len(namespace)) || namespace || message (Commonware's union_unique). py_ecc's
G2ProofOfPossession uses the DST BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_.
"""
import json
import sys

from py_ecc.bls import G2ProofOfPossession as bls


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def main() -> int:
    v = json.load(open(sys.argv[1]))
    pk = bytes.fromhex(v["group_public_key"])
    sig = bytes.fromhex(v["signature"])
    ns = bytes.fromhex(v["namespace"])
    msg = bytes.fromhex(v["message"])
    signed = bytes.fromhex(v["signed_message"])
    assert len(pk) == 48 and len(sig) == 96, "sizes"
    assert signed == varint(len(ns)) + ns + msg, "signed_message is not union_unique(ns, msg)"
    ok = bls.Verify(pk, signed, sig)
    altered = bls.Verify(pk, signed + b"!", sig)
    print(f"py_ecc Verify(group key, signed_message, signature) = {ok}; altered message = {altered}")
    return 0 if ok and not altered else 1


if __name__ == "__main__":
    sys.exit(main())
