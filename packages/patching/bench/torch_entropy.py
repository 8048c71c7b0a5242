#!/usr/bin/env python3
"""The peer of @tessera/patching's throughput benchmark: the shipped entropy model in PyTorch (CPU),
written from the same definition (Hugging Face LLaMA layout: RMSNorm, rotate-half RoPE, sliding-window
causal attention, SwiGLU). Reads weights/entropy-tiny.safetensors, patches windows of ids given on
stdin (JSON), prints JSON {entropies, seconds, threads}.
    echo '{"rows": [[1, 76, ...]], "reps": 3}' | /usr/bin/python3 bench/torch_entropy.py"""
import json
import os
import struct
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "..", "weights", "entropy-tiny.safetensors")


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for k, e in header.items():
        a, b = e["data_offsets"]
        tensors[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(e["shape"])
    return tensors, json.loads(meta["tessera_entropy_config"])


W, C = load(WEIGHTS)
H, D = C["heads"], C["dim"] // C["heads"]


def rms(x, w):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + C["normEps"]) * w


def rope(x, pos):  # x [B, H, S, D], rotate-half
    inv = 1.0 / (C["ropeTheta"] ** (torch.arange(0, D, 2).float() / D))
    ang = pos[:, None].float() * inv[None, :]
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


@torch.no_grad()
def entropies(ids):
    B, S = ids.shape
    h = W["model.embed_tokens.weight"][ids]
    pos = torch.arange(S)
    q_i, k_i = pos[:, None], pos[None, :]
    mask = (k_i <= q_i) & (q_i - k_i < C["window"])
    for i in range(C["layers"]):
        p = f"model.layers.{i}."
        x = rms(h, W[p + "input_layernorm.weight"])
        q, k, v = (
            (x @ W[p + f"self_attn.{n}_proj.weight"].T).view(B, S, H, D).transpose(1, 2) for n in "qkv"
        )
        q, k = rope(q, pos), rope(k, pos)
        att = (q @ k.transpose(-1, -2) / D**0.5).masked_fill(~mask, float("-inf")).softmax(-1)
        o = att @ v
        h = h + o.transpose(1, 2).reshape(B, S, -1) @ W[p + "self_attn.o_proj.weight"].T
        x = rms(h, W[p + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(x @ W[p + "mlp.gate_proj.weight"].T) * (x @ W[p + "mlp.up_proj.weight"].T)
        h = h + g @ W[p + "mlp.down_proj.weight"].T
    logp = (rms(h, W["model.norm.weight"]) @ W["lm_head.weight"].T).log_softmax(-1)
    return -(logp.exp() * logp).sum(-1)


req = json.load(sys.stdin)
ids = torch.tensor(req["rows"], dtype=torch.long)
out = entropies(ids)
start = time.perf_counter()
for _ in range(req.get("reps", 3)):
    entropies(ids)
seconds = (time.perf_counter() - start) / req.get("reps", 3)
print(json.dumps({"entropies": out.flatten().tolist(), "seconds": seconds, "threads": torch.get_num_threads()}))
