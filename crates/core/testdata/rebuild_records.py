#!/usr/bin/env python3
"""Independent check of the DecisionRecord byte layout documented in src/record.rs.

Rebuilds each record's canonical encoding from its JSON form in records.json,
using only the module documentation and the Python standard library, and compares them with the
golden hex. Run: python3 crates/core/testdata/rebuild_records.py
"""
import hashlib
import json
import pathlib
import struct
import sys

RULES = ["mean", "median", "trimmed-mean", "krum", "multi-krum", "bulyan",
         "geometric-median", "centered-clipping", "cgc"]  # index = wire code; 0 never used
REASONS = {None: 0, "too_few_values": 1, "failed": 2}


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


def text(s: str) -> bytes:
    b = s.encode("utf-8")
    return varint(len(b)) + b


def members(ms) -> bytes:
    return varint(len(ms)) + b"".join(struct.pack(">I", m) for m in ms)


def mode(s: str) -> bytes:
    if s == "exact":
        return b"\x00"
    if s == "json":
        return b"\x03"
    if s == "pick-best":
        return b"\x05"
    if s == "semantic":  # the default threshold, 0.775
        return b"\x04" + struct.pack(">H", 775)
    kind, arg = s.split(":", 1)
    if kind == "class":
        labels = arg.split(",")
        return b"\x01" + varint(len(labels)) + b"".join(text(l) for l in labels)
    if kind == "number" and ":" in arg:
        decimals, rule = arg.split(":", 1)
        return b"\x06" + bytes([int(decimals), RULES.index(rule)])
    if kind == "number":
        return b"\x02" + bytes([int(arg)])
    if kind == "vector":
        return b"\x07" + bytes([RULES.index(arg)])
    if kind == "semantic":  # threshold in thousandths
        return b"\x04" + struct.pack(">H", round(float(arg) * 1000))
    raise ValueError(s)


def encode(r) -> bytes:
    out = bytes([1]) + bytes.fromhex(r["request"]) + bytes([r["tier"]]) + mode(r["mode"])
    out += members(r["committee"])
    out += bytes([0 if r["outcome"] == "agreed" else 1])
    if r["answer"] is None:
        out += b"\x00"
    else:
        out += b"\x01" + text(r["answer"])
        assert hashlib.sha256(r["answer"].encode()).hexdigest() == r["answer_digest"]
    out += b"\x00" if r["answer_digest"] is None else b"\x01" + bytes.fromhex(r["answer_digest"])
    out += members(r["supporters"]) + members(r["dissenters"]) + members(r["silent"])
    out += struct.pack(">QQ", r["height"], r["epoch"])
    if "aggregation" in r:  # robust modes (tags 6, 7) only
        a = r["aggregation"]
        out += struct.pack(">IIB", a["values"], a["f"], REASONS[a["reason"]])
    if "pick" in r:  # pick-best (tag 5) only: ballot id, u32 choice, authors
        p = r["pick"]
        out += bytes.fromhex(p["ballot"]) + struct.pack(">I", p["choice"]) + members(p["authors"])
    if "cosines" in r:  # semantic mode (tag 4) only: varint count, then i16 each
        out += varint(len(r["cosines"])) + b"".join(struct.pack(">h", c) for c in r["cosines"])
    return out


def main() -> int:
    vectors = json.loads((pathlib.Path(__file__).parent / "records.json").read_text("utf-8"))
    ok = True
    for v in vectors:
        enc = encode(v["record"])
        good = enc.hex() == v["encoding"]
        ok &= good
        print(("ok  " if good else "FAIL"), v["name"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
