#!/usr/bin/env python3
"""The PyTorch peer of @tessera/moe's dispatch benchmark: Mixtral's sparse MoE block as Hugging Face
writes it (`MixtralSparseMoeBlock.forward`: softmax router, top-k, renormalised weights, then a loop
over experts gathering each one's tokens with `torch.where`, running the SwiGLU expert and adding back
with `index_add_`), timed forward + backward on the CPU.
Reads JSON {tokens, dim, hidden, cases: [{experts, k}], reps} on stdin, prints JSON
{threads, torch, results: [{experts, k, seconds}]} (seconds: median of one forward + backward).
    echo '{"tokens": 512, "dim": 64, "hidden": 128, "cases": [{"experts": 8, "k": 2}], "reps": 3}' \\
      | /usr/bin/python3 bench/torch_moe.py"""
import json
import sys
import time

import torch
import torch.nn.functional as F


class Expert(torch.nn.Module):  # MixtralBlockSparseTop2MLP
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = torch.nn.Linear(dim, hidden, bias=False)
        self.w2 = torch.nn.Linear(hidden, dim, bias=False)
        self.w3 = torch.nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class SparseMoE(torch.nn.Module):  # MixtralSparseMoeBlock, on [tokens, dim]
    def __init__(self, dim, hidden, experts, k):
        super().__init__()
        self.k = k
        self.gate = torch.nn.Linear(dim, experts, bias=False)
        self.experts = torch.nn.ModuleList([Expert(dim, hidden) for _ in range(experts)])

    def forward(self, x):
        probs = F.softmax(self.gate(x), dim=-1, dtype=torch.float)
        weights, selected = torch.topk(probs, self.k, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(x)
        mask = F.one_hot(selected, num_classes=len(self.experts)).permute(2, 1, 0)
        for e, expert in enumerate(self.experts):
            idx, top_x = torch.where(mask[e])
            y = expert(x[top_x]) * weights[top_x, idx, None]
            out.index_add_(0, top_x, y)
        return out


def step(model, x):
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()


def main():
    cfg = json.load(sys.stdin)
    torch.manual_seed(0)
    results = []
    for case in cfg["cases"]:
        model = SparseMoE(cfg["dim"], cfg["hidden"], case["experts"], case["k"])
        x = torch.randn(cfg["tokens"], cfg["dim"])
        step(model, x)  # warm-up
        samples = []
        for _ in range(cfg["reps"]):
            t0 = time.perf_counter()
            step(model, x)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        results.append({**case, "seconds": samples[len(samples) // 2]})
    print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "results": results}))


main()
