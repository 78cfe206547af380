"""PyTorch's side of the peers benchmark (scripts/bench-peers): the workloads of
bench/bench_peers.cpp as torch.nn modules, run eagerly ("eager") or through torch.compile
("compile"; the backward pass is compiled too, by AOTAutograd).  Attention is
F.scaled_dot_product_attention(is_causal=True), PyTorch's fused kernel.
  python torch_peer.py w1|w2 eager|compile L [--compile-only] [--reps N]
  python torch_peer.py train eager|compile 16
compile_s: for "compile", the first forward + backward call (Dynamo tracing, AOTAutograd and
Inductor code generation; one untimed eager step runs first, so library start-up is not counted)
less one steady step; 0 for "eager"."""
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from common import (LM_BATCH, LM_CONTEXT, LM_HEADS, LM_VOCAB, LM_WIDTH, W1_B, W1_F, W2_BATCH,
                    W2_D, W2_HEADS, W2_SEQ, measure, parse_args, report)

torch.set_num_threads(2)
torch.manual_seed(0)


class Mlp(nn.Module):
    def __init__(self, L):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(W1_F, W1_F) for _ in range(L))
        for layer in self.layers:
            bound = math.sqrt(6 / W1_F)
            nn.init.uniform_(layer.weight, -bound, bound)
            nn.init.uniform_(layer.bias, -0.1, 0.1)

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, h):
        b, t, d = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                           v.transpose(1, 2), is_causal=True)
        h = h + self.out(a.transpose(1, 2).reshape(b, t, d))
        return h + self.fc2(F.gelu(self.fc1(self.ln2(h)), approximate="tanh"))


class Stack(nn.Module):
    def __init__(self, L, d, heads):
        super().__init__()
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(L))

    def forward(self, h):
        for blk in self.blocks:
            h = blk(h)
        return h


class CharLM(nn.Module):
    def __init__(self, L):
        super().__init__()
        self.tok = nn.Embedding(LM_VOCAB, LM_WIDTH)
        self.pos = nn.Parameter(torch.randn(LM_CONTEXT, LM_WIDTH))
        self.stack = Stack(L, LM_WIDTH, LM_HEADS)
        self.norm = nn.LayerNorm(LM_WIDTH, eps=1e-6)
        self.head = nn.Linear(LM_WIDTH, LM_VOCAB)

    def forward(self, tokens):
        h = self.tok(tokens) + self.pos[: tokens.shape[1]]
        return self.head(self.norm(self.stack(h)))


def run(args, model, make_loss, after_backward=None):
    forward = torch.compile(model) if args.variant == "compile" else model

    def step():
        model.zero_grad(set_to_none=True)
        loss = make_loss(forward)
        loss.backward()
        if after_backward:
            after_backward()
        return loss.item()

    def compile_fn():
        if args.variant != "compile":
            return
        t0 = time.perf_counter()
        step()  # traces and compiles forward and backward
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        step()
        compile_fn.extra = first - (time.perf_counter() - t0)

    def warm_up():
        # One eager step first, so library start-up (thread pools, kernels' first use) is not
        # counted as compile time.
        make_loss(model).backward()
        model.zero_grad(set_to_none=True)

    compile_fn.extra = 0.0
    compile_s, step_ms, peak, steady = measure(args, compile_fn, step, warm_up)
    return (compile_fn.extra if args.variant == "compile" else 0.0), step_ms, peak, steady


def main():
    args = parse_args()
    if args.workload == "w1":
        model, x = Mlp(args.L), torch.empty(W1_B, W1_F).uniform_(-1, 1)
        result = run(args, model, lambda f: f(x).square().sum())
    elif args.workload == "w2":
        model, x = Stack(args.L, W2_D, W2_HEADS), torch.randn(W2_BATCH, W2_SEQ, W2_D)
        result = run(args, model, lambda f: f(x).square().mean())
    else:
        model = CharLM(args.L)
        windows = torch.randint(0, LM_VOCAB, (LM_BATCH, LM_CONTEXT + 1))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4, fused=True)

        def loss(f):
            logits = f(windows[:, :-1])
            return F.cross_entropy(logits.reshape(-1, LM_VOCAB), windows[:, 1:].reshape(-1))

        def update():
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        result = run(args, model, loss, update)
    report("torch", args, result)


if __name__ == "__main__":
    main()
