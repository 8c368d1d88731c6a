#!/usr/bin/python3
"""Writes tests/fuzz/regressions/: the reproducers of issue 11 (one file per failure class)
Names: ok_* are valid inputs their loader must accept (and run); crash-*/timeout-*/oom-*
(libFuzzer's names) may be accepted or refused; every other file must be refused.
derived from the seed corpus, so the normal test suite replays them through every loader
(tests/fuzz/regressions_test.cpp). Inputs found later by the fuzzers are added next to
them by scripts/ci-sanitize-fuzz.sh. Deterministic."""
import copy
import json
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
corpus, out = os.path.join(here, "corpus"), os.path.join(here, "regressions")


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- .slmq: header edits (the data area moves with the header) ----
def slmq_parts(name):
    b = open(os.path.join(corpus, "slmq", name), "rb").read()
    hlen = struct.unpack_from("<I", b, 12)[0]
    blob0 = (16 + hlen + 63) // 64 * 64
    return b[:12], json.loads(b[16:16 + hlen]), b[blob0:]


def slmq_build(pre, h, data):
    hs = json.dumps(h).encode()
    b = pre + struct.pack("<I", len(hs)) + hs
    b += b"\0" * ((64 - len(b) % 64) % 64)
    return b + data


def slmq_edit(name, out_name, edit):
    pre, h, data = slmq_parts(name)
    h = copy.deepcopy(h)
    data = bytearray(data)
    edit(h, data)
    put("slmq", out_name, slmq_build(pre, h, bytes(data)))


def tensor(h, name):
    return next(t for t in h["tensors"] if t["name"] == name)


def set_i32(h, data, name, index, value):
    struct.pack_into("<i", data, tensor(h, name)["offset"] + 4 * index, value)


slmq_edit("tiny-w8a8.slmq", "exp_lut_zero.slmq", lambda h, d: set_i32(h, d, "softmax.exp_lut", 0, 0))
slmq_edit("tiny-w8a8.slmq", "exp_lut_negative.slmq", lambda h, d: set_i32(h, d, "softmax.exp_lut", 7, -1))
slmq_edit("tiny-w8a16.slmq", "gain_shift_70.slmq", lambda h, d: h["params"]["ops"]["l0.att_norm"].update(gain_shift=70))
slmq_edit("tiny-w8a8.slmq", "zp_outside_int8.slmq", lambda h, d: h["params"]["ops"]["l0.wq"].update(x_zp=300))
slmq_edit("tiny-w8a8.slmq", "zero_multiplier.slmq", lambda h, d: h["params"]["ops"]["l0.mul"].update(mul={"m": 0, "shift": 31}))
slmq_edit("tiny-w8a8.slmq", "shift_80.slmq", lambda h, d: h["params"]["ops"]["l0.rope_q"].update(mul={"m": 1 << 30, "shift": 80}))
slmq_edit("tiny-w8a8.slmq", "offset_negative.slmq", lambda h, d: tensor(h, "l0.wq").update(offset=-64))
slmq_edit("tiny-w8a8.slmq", "offset_wraps.slmq", lambda h, d: tensor(h, "l0.wq").update(offset=(1 << 64) - 64))
slmq_edit("tiny-w8a8.slmq", "offset_overlaps.slmq", lambda h, d: tensor(h, "l0.wk").update(offset=tensor(h, "l0.wq")["offset"]))
slmq_edit("tiny-w8a8.slmq", "row_sum_int_min.slmq", lambda h, d: set_i32(h, d, "l0.w2.row_sum", 0, -(1 << 31)))
slmq_edit("tiny-w8a8.slmq", "header_wrong_types.slmq", lambda h, d: h.update(tensors="x"))


def corrupt_weights(h, d):  # w8a8 weights at their extremes: the int32 accumulator paths
    t = tensor(h, "l0.w1")
    for i in range(t["bytes"]):
        d[t["offset"] + i] = 0x80


slmq_edit("tiny-w8a8.slmq", "weights_all_minus128.slmq", corrupt_weights)

# ---- reports ----
rep = json.load(open(os.path.join(corpus, "report", "tiny.json")))


def rep_edit(name, edit):
    r = copy.deepcopy(rep)
    edit(r)
    put("report", name, json.dumps(r))


rep_edit("no_prefill.json", lambda r: r.pop("prefill"))
rep_edit("no_decode.json", lambda r: r.pop("decode"))
rep_edit("prefill_not_object.json", lambda r: r.update(prefill=[1, 2]))
rep_edit("negative_counter.json", lambda r: r["windows"]["run"]["counters"]["soc"]["mem"].update(read_bytes=-5))
rep_edit("negative_energy.json", lambda r: r["energy"]["table"]["soc.mem"].update(read_pj_per_byte=-1.0))
rep_edit("ok_huge_energy.json", lambda r: r["energy"]["table"]["soc.mem"].update(read_pj_per_byte=1e300))
rep_edit("string_seconds.json", lambda r: r["windows"]["decode"].update(seconds="fast"))
put("report", "nan_literal.json", json.dumps(rep).replace('"seconds": ', '"seconds": NaN, "x": ', 1))

# ---- traces ----
lines = open(os.path.join(corpus, "trace", "tiny-w8a8.jsonl")).read().splitlines()


def trace_edit(name, index, edit):
    ls = list(lines)
    j = json.loads(ls[index])
    edit(j)
    ls[index] = json.dumps(j)
    put("trace", name, "\n".join(ls) + "\n")


first_matmul = next(i for i, l in enumerate(lines) if '"kind": "matmul"' in l or '"kind":"matmul"' in l)
first_rms = next(i for i, l in enumerate(lines) if '"kind":"rmsnorm"' in l or '"kind": "rmsnorm"' in l)
trace_edit("version_string.jsonl", 0, lambda j: j.update(version="1"))
trace_edit("precision_unknown.jsonl", 0, lambda j: j.update(precision="w9a9"))
trace_edit("model_dim_string.jsonl", 0, lambda j: j["model"].update(dim="16"))
trace_edit("macs_2_63.jsonl", first_matmul, lambda j: j.update(macs=1 << 63))
trace_edit("macs_on_elementwise.jsonl", first_rms, lambda j: j.update(macs=(1 << 64) - 1))
trace_edit("shape_product_overflow.jsonl", first_matmul,
           lambda j: j["inputs"][1].update(shape=[1 << 40, 1 << 40, 1 << 40, 1 << 40]))
trace_edit("m_n_k_overflow.jsonl", first_matmul, lambda j: j.update(m=1 << 40, n=1 << 40, k=1 << 40))
trace_edit("scale_negative.jsonl", first_matmul, lambda j: j["quant"].update(x_scale=-0.5))
trace_edit("scale_zero.jsonl", first_matmul, lambda j: j["quant"].update(y_scale=0))
trace_edit("zp_huge.jsonl", first_matmul, lambda j: j["quant"].update(x_zp=1 << 40))

# ---- configs ----
laughs = "slmsim_config: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
for i in range(1, 9):
    laughs += "%s: &%s [%s]\n" % (chr(97 + i), chr(97 + i), ", ".join(["*" + chr(96 + i)] * 10))
put("config", "billion_laughs.yaml", laughs)
put("config", "include_self_twice.yaml", "slmsim_config: 1\ninclude: [platform.yaml, platform.yaml]\n")
put("config", "include_dev_zero.yaml", "slmsim_config: 1\ninclude: /dev/zero\n")
put("config", "deep_nesting.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
put("config", "weight_channel_5.yaml", open(os.path.join(corpus, "config", "tiny.yaml")).read().replace(
    "engine: {compute: eng, dma: dma, buffer: buf}", "engine: {compute: eng, dma: dma, buffer: buf, weight_channel: 5}"))

# ---- shapes, tokenizers, checkpoints ----
put("shape", "ok_seq_len_1m.yaml", "dim: 8\nhidden_dim: 8\nn_layers: 1\nn_heads: 2\nn_kv_heads: 2\nvocab_size: 32\nseq_len: 1048576\n")
put("shape", "billion_laughs.yaml", laughs)
tok = bytearray(open(os.path.join(corpus, "tokenizer", "tiny.bin"), "rb").read())
n = tok[2]
struct.pack_into("<f", tok, 3 + n + 4, float("nan"))
put("tokenizer", "nan_score.bin", bytes(tok))
tok = bytearray(open(os.path.join(corpus, "tokenizer", "tiny.bin"), "rb").read())
put("tokenizer", "ok_long_prompt.bin", bytes(tok[:2]) + bytes([255]) + b"ab " * 85 + bytes(tok[3 + tok[2]:]))
ck = bytearray(open(os.path.join(corpus, "checkpoint", "tiny_shared.bin"), "rb").read())
struct.pack_into("<i", ck, 24, 1 << 20)
put("checkpoint", "seq_len_1m.bin", bytes(ck))
ck = bytearray(open(os.path.join(corpus, "checkpoint", "tiny_shared.bin"), "rb").read())
struct.pack_into("<f", ck, 28 + 40, float("nan"))
put("checkpoint", "nan_weight.bin", bytes(ck))
