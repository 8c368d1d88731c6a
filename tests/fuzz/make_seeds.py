#!/usr/bin/python3
"""Writes the small synthetic seeds of tests/fuzz/corpus/ that no real file provides:
llama2.c checkpoints and tokenizers of a few bytes (real ones live in ../shared/models and
are passed to the fuzzers at run time by scripts/ci-sanitize-fuzz.sh, never copied).
Traces, reports, .slmq files and configs come from slmsim itself (see ci-sanitize-fuzz.sh
--seeds). Deterministic: same bytes every run."""
import os
import random
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
rng = random.Random(11)


def checkpoint(dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared=True):
    hs = dim // heads
    kv = kv_heads * hs
    n = (vocab * dim + layers * dim + layers * dim * dim * 2 + layers * dim * kv * 2 + layers * dim
         + layers * dim * hidden * 3 + dim + seq_len * hs)
    if not shared:
        n += vocab * dim
    head = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq_len)
    return head + struct.pack("<%df" % n, *[rng.uniform(-0.5, 0.5) for _ in range(n)])


def tokenizer(prompt=b"ab ab"):
    pieces = [(b"<unk>", 0.0), (b"<s>", 0.0), (b"</s>", 0.0)]
    pieces += [(("<0x%02X>" % b).encode(), 0.0) for b in range(256)]
    pieces += [(b" ", -1.0), (b"a", -2.0), (b"b", -3.0), (b"ab", -4.0), (b" ab", -5.0), (b"aa", -6.0)]
    body = struct.pack("<i", 8) + b"".join(struct.pack("<fi", s, len(p)) + p for p, s in pieces)
    return struct.pack("<HB", len(pieces), len(prompt)) + prompt + body


os.makedirs(os.path.join(out, "checkpoint"), exist_ok=True)
os.makedirs(os.path.join(out, "tokenizer"), exist_ok=True)
with open(os.path.join(out, "checkpoint", "tiny_shared.bin"), "wb") as f:
    f.write(checkpoint(8, 16, 1, 2, 2, 16, 8))
with open(os.path.join(out, "checkpoint", "tiny_gqa_cls.bin"), "wb") as f:
    f.write(checkpoint(8, 12, 2, 4, 2, 12, 4, shared=False))
with open(os.path.join(out, "tokenizer", "tiny.bin"), "wb") as f:
    f.write(tokenizer())
with open(os.path.join(out, "tokenizer", "tiny_utf8.bin"), "wb") as f:
    f.write(tokenizer("aé b\u2603 ab".encode()))
