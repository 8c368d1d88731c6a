#!/usr/bin/env python3
"""Write an slmsim trace (docs/trace-format.md) from a plain description of a decoder.

This is the recipe for other tools: it uses nothing from slmsim, only the documented JSON
Lines format. The model is described in a small JSON file, layer by layer, so shapes that
llama2.c cannot express are fine: per-layer head counts, GQA ratios and FFN widths, any
vocabulary, and models without an embedding table or an LM head.

    {
      "name": "my-decoder",
      "dim": 96,
      "vocab_size": 1000,          # 0: no embedding table, no LM head
      "embedding": true,           # optional (default: vocab_size > 0)
      "lm_head": true,             # optional (default: vocab_size > 0)
      "max_positions": 64,         # the model's context (RoPE table rows, KV rows)
      "layers": [ {"heads": 6, "kv_heads": 2, "ffn": 256}, ... ]
    }

    export_trace.py MODEL.json --out t.jsonl [--prefill 8] [--decode 16] [--precision w8a8]

The trace is shape-only (no quantisation parameters): slmsim replays it timing-only with
`slmsim run --config PLATFORM.yaml --trace t.jsonl`.
"""
import argparse
import json
import sys

ACT = {"w8a8": "i8", "w8a16": "i16", "w4a8": "i8"}
EXP_LUT_ENTRIES = 257  # the integer softmax's exp table (golden kernels), int32 entries
DTYPE_BYTES = {"i8": 1, "u8": 1, "i16": 2, "i32": 4, "i64": 8}


def tensor(name, role, dtype, shape, nbytes=None, offset=0):
    dense = DTYPE_BYTES[dtype]
    for d in shape:
        dense *= d
    t = {"name": name, "role": role, "dtype": dtype, "shape": list(shape),
         "bytes": dense if nbytes is None else nbytes}
    if offset:
        t["offset"] = offset
    return t


class Step:
    def __init__(self):
        self.ops = []

    def op(self, name, kind, layer, m, n, k, inputs, outputs, macs=0, elem_ops=0, heads=1, acc="i32"):
        self.ops.append({"type": "op", "index": len(self.ops), "name": name, "kind": kind, "layer": layer,
                         "m": m, "n": n, "k": k, "heads": heads, "macs": macs, "elem_ops": elem_ops,
                         "acc": acc, "inputs": inputs, "outputs": outputs, "quant": {}})


def check(model):
    for key in ("name", "dim", "max_positions", "layers"):
        if key not in model:
            raise SystemExit(f"model description: '{key}' missing")
    dim = model["dim"]
    for i, layer in enumerate(model["layers"]):
        h, kv = layer["heads"], layer.get("kv_heads", layer["heads"])
        if dim % h or h % kv or (dim // h) % 2:
            raise SystemExit(f"model description: layer {i}: dim {dim}, heads {h}, kv_heads {kv}: "
                             "dim must split into heads of even size, heads into kv_heads")


def step_ops(model, precision, pos, m):
    """The ops of one step of m tokens starting at position pos (a prefill when m > 1)."""
    A = ACT[precision]
    es = DTYPE_BYTES[A]
    acc = "i32" if A == "i8" else "i64"
    D, T = model["dim"], model["max_positions"]
    vocab = model.get("vocab_size", 0)
    embedding = model.get("embedding", vocab > 0)
    lm_head = model.get("lm_head", vocab > 0)
    s = Step()

    def act(name, rows, width, dtype=A):
        return tensor(name, "activation", dtype, [rows, width])

    def matmul(name, layer, x, y, n, k, logits=False):
        w = tensor(name if not (logits and model.get("shared_classifier", False)) else "embed.table", "weight", "i8", [n, k])
        s.op(name, "matmul", layer, m if not logits else 1, n, k,
             [act(x, m if not logits else 1, k), w, tensor(name + ".requant", "param", "i32", [n, 2]),
              tensor(name + ".row_sum", "param", "i32", [n])],
             [tensor(y, "output", "i16", [1, n]) if logits else act(y, m, n)],
             macs=(1 if logits else m) * n * k, acc=acc if not logits else "i64")

    def rmsnorm(name, layer, x, y, rows, offset=0):
        inp = act(x, rows, D)
        if offset:
            inp["offset"] = offset
        s.op(name, "rmsnorm", layer, rows, D, 1, [inp, tensor(name + ".gain", "param", "i16", [D])],
             [act(y, rows, D)], elem_ops=2 * rows * D, acc="i64")

    if embedding:
        s.op("embed", "embed", -1, m, D, 1,
             [tensor("tokens", "activation", "i32", [m]),
              tensor("embed.table", "weight", "i8", [vocab, D], m * D),
              tensor("embed.row_mul", "param", "i32", [vocab, 2], m * 8)],
             [act("l0.x_in", m, D)], elem_ops=m * D)
    tt = pos + m
    causal = m * pos + m * (m + 1) // 2
    n_layers = len(model["layers"])
    for l, layer in enumerate(model["layers"]):
        p = f"l{l}."
        NH = layer["heads"]
        KVH = layer.get("kv_heads", NH)
        HS = D // NH
        KV = KVH * HS
        HID = layer["ffn"]
        rmsnorm(p + "att_norm", l, p + "x_in", p + "att_norm", m)
        matmul(p + "wq", l, p + "att_norm", p + "q", D, D)
        matmul(p + "wk", l, p + "att_norm", p + "k", KV, D)
        matmul(p + "wv", l, p + "att_norm", p + "v", KV, D)
        for isq in (True, False):
            width = D if isq else KV
            rope = "rope" if HS == D // model["layers"][0]["heads"] else f"rope{HS}"
            s.op(p + ("rope_q" if isq else "rope_k"), "rope", l, m, width, 1,
                 [act(p + ("q" if isq else "k"), m, width),
                  tensor(rope + ".cos", "param", "i16", [T, HS // 2], m * HS),
                  tensor(rope + ".sin", "param", "i16", [T, HS // 2], m * HS)],
                 [act(p + ("q_rope" if isq else "k_rope"), m, width)], elem_ops=2 * m * width, heads=width // HS)
        s.op(p + "kv_write", "kv_write", l, m, KV, 1, [act(p + "k_rope", m, KV), act(p + "v", m, KV)],
             [tensor(p + "kcache", "kv_cache", A, [T, KV], m * KV * es),
              tensor(p + "vcache", "kv_cache", A, [T, KV], m * KV * es)], elem_ops=2 * m * KV)
        s.op(p + "attn_scores", "attn_scores", l, m, tt, HS,
             [act(p + "q_rope", m, D), tensor(p + "kcache", "kv_cache", A, [T, KV], tt * KV * es)],
             [tensor(p + "att_scores", "activation", "i32", [m, NH, tt])], macs=causal * D, heads=NH, acc=acc)
        s.op(p + "softmax", "softmax", l, m * NH, tt, 1,
             [tensor(p + "att_scores", "activation", "i32", [m, NH, tt]),
              tensor("softmax.exp_lut", "param", "i32", [EXP_LUT_ENTRIES])],
             [tensor(p + "att_probs", "activation", A, [m, NH, tt])], elem_ops=causal * NH * 3, heads=NH, acc="i64")
        s.op(p + "attn_values", "attn_values", l, m, D, tt,
             [tensor(p + "att_probs", "activation", A, [m, NH, tt]),
              tensor(p + "vcache", "kv_cache", A, [T, KV], tt * KV * es)],
             [act(p + "att_out", m, D)], macs=causal * D, heads=NH, acc=acc)
        matmul(p + "wo", l, p + "att_out", p + "wo_out", D, D)
        s.op(p + "add_att", "add", l, m, D, 1, [act(p + "x_in", m, D), act(p + "wo_out", m, D)],
             [act(p + "x_mid", m, D)], elem_ops=m * D)
        rmsnorm(p + "ffn_norm", l, p + "x_mid", p + "ffn_norm", m)
        matmul(p + "w1", l, p + "ffn_norm", p + "h1", HID, D)
        matmul(p + "w3", l, p + "ffn_norm", p + "h3", HID, D)
        s.op(p + "silu", "silu", l, m, HID, 1,
             [act(p + "h1", m, HID), tensor(p + "silu.lut", "param", A, [256 if A == "i8" else 513])],
             [act(p + "silu", m, HID)], elem_ops=m * HID)
        s.op(p + "mul", "mul", l, m, HID, 1, [act(p + "silu", m, HID), act(p + "h3", m, HID)],
             [act(p + "gated", m, HID)], elem_ops=m * HID)
        matmul(p + "w2", l, p + "gated", p + "w2_out", D, HID)
        nxt = f"l{l + 1}.x_in" if l + 1 < n_layers else "x_final"
        s.op(p + "add_ffn", "add", l, m, D, 1, [act(p + "x_mid", m, D), act(p + "w2_out", m, D)],
             [act(nxt, m, D)], elem_ops=m * D)
    rmsnorm("final.rmsnorm", -1, "x_final", "final_norm", 1, offset=(m - 1) * D * es)
    if lm_head:
        matmul("cls", -1, "final_norm", "logits", vocab, D, logits=True)
        s.op("argmax", "argmax", -1, 1, vocab, 1, [tensor("logits", "output", "i16", [1, vocab])],
             [tensor("next_token", "output", "i32", [1])], elem_ops=vocab)
    return s.ops


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="model description (JSON)")
    ap.add_argument("--out", required=True, help="trace file to write")
    ap.add_argument("--prefill", type=int, default=4, help="prompt tokens (one prefill step)")
    ap.add_argument("--decode", type=int, default=8, help="decode steps after the prefill")
    ap.add_argument("--precision", default="w8a8", choices=sorted(ACT))
    a = ap.parse_args(argv)
    with open(a.model) as f:
        model = json.load(f)
    check(model)
    if a.prefill < 1 or a.decode < 0 or a.prefill + a.decode > model["max_positions"]:
        raise SystemExit(f"--prefill {a.prefill} + --decode {a.decode} must fit in max_positions {model['max_positions']}")
    header = {"type": "header", "format": "slmsim-trace", "version": 1, "precision": a.precision, "shape_only": True,
              "producer": "export_trace.py", "positions": a.prefill + a.decode,
              "model": {"name": model["name"], "dim": model["dim"], "seq_len": model["max_positions"]}}
    n = 0
    with open(a.out, "w") as f:
        f.write(json.dumps(header, sort_keys=True) + "\n")
        for pos, m, phase in [(0, a.prefill, "prefill")] + [(a.prefill + i, 1, "decode") for i in range(a.decode)]:
            ops = step_ops(model, a.precision, pos, m)
            f.write(json.dumps({"type": "step", "phase": phase, "pos": pos, "n_tokens": m, "n_ops": len(ops)},
                               sort_keys=True) + "\n")
            for op in ops:
                f.write(json.dumps(op, sort_keys=True) + "\n")
            n += 1
        f.write(json.dumps({"type": "end", "n_steps": n}) + "\n")
    print(f"wrote {a.out}: {model['name']}, {n} steps")


if __name__ == "__main__":
    sys.exit(main())
