"""JAX's side of the peers benchmark (scripts/bench-peers): the workloads of
bench/bench_peers.cpp in plain JAX, jitted, with the layers either as one lax.scan over stacked
weights ("scan") or as a Python loop over per-layer arrays ("unrolled").
  python jax_peer.py w1|w2 scan|unrolled L [--compile-only] [--reps N]
  python jax_peer.py train scan 16
compile_s is jax.jit(f).lower(...).compile() (trace, lower, XLA compile); the timed steps call
the compiled executable and block until the results are ready."""
import jax
import jax.numpy as jnp
import numpy as np
import optax

from common import (LM_BATCH, LM_CONTEXT, LM_HEADS, LM_VOCAB, LM_WIDTH, W1_B, W1_F, W2_BATCH,
                    W2_D, W2_HEADS, W2_SEQ, measure, parse_args, report)

rng = np.random.default_rng(0)


def uniform(shape, limit):
    return jnp.asarray(rng.uniform(-limit, limit, shape).astype(np.float32))


def layers_fold(variant, body, carry, layers):
    """body(carry, layer) over the layers: one lax.scan over the stacked pytree, or a loop."""
    if variant == "scan":
        return jax.lax.scan(lambda c, layer: (body(c, layer), None), carry, layers)[0]
    for layer in layers:
        carry = body(carry, layer)
    return carry


def per_layer(variant, stacked, n):
    if variant == "scan":
        return stacked
    return [jax.tree.map(lambda a, i=i: a[i], stacked) for i in range(n)]


# ---------------------------------------------------------------- W1
def w1(args):
    L = args.L
    params = per_layer(args.variant, {"w": uniform((L, W1_F, W1_F), np.sqrt(6 / W1_F)),
                                      "b": uniform((L, W1_F), 0.1)}, L)
    x = uniform((W1_B, W1_F), 1.0)

    def loss(p, x):
        y = layers_fold(args.variant, lambda y, l: jax.nn.relu(y @ l["w"] + l["b"]), x, p)
        return jnp.sum(y * y)

    return compile_and_time(args, jax.value_and_grad(loss), params, x)


# ---------------------------------------------------------------- pre-LN transformer blocks
def layer_norm(x, scale, bias, eps=1e-6):
    mean = jnp.mean(x, -1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), -1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps) * scale + bias


def block_params(L, d, hidden):
    def dense(n_in, n_out):
        return uniform((L, n_in, n_out), np.sqrt(3 / n_in)), jnp.zeros((L, n_out))
    p = {}
    for name, (n_in, n_out) in {"q": (d, d), "k": (d, d), "v": (d, d), "o": (d, d),
                                "fc1": (d, hidden), "fc2": (hidden, d)}.items():
        p[name + "_w"], p[name + "_b"] = dense(n_in, n_out)
    for name in ("ln1", "ln2"):
        p[name + "_scale"], p[name + "_bias"] = jnp.ones((L, d)), jnp.zeros((L, d))
    return p


def block(h, p, heads):
    b, t, d = h.shape
    dh = d // heads
    x = layer_norm(h, p["ln1_scale"], p["ln1_bias"])
    split = lambda a: a.reshape(b, t, heads, dh)  # noqa: E731
    q, k, v = (split(x @ p[n + "_w"] + p[n + "_b"]) for n in "qkv")
    logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(dh)
    mask = jnp.tril(jnp.ones((t, t), bool))
    logits = jnp.where(mask, logits, jnp.finfo(logits.dtype).min)
    attn = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(logits, -1), v).reshape(b, t, d)
    h = h + attn @ p["o_w"] + p["o_b"]
    x = layer_norm(h, p["ln2_scale"], p["ln2_bias"])
    return h + jax.nn.gelu(x @ p["fc1_w"] + p["fc1_b"]) @ p["fc2_w"] + p["fc2_b"]


def w2(args):
    L = args.L
    params = per_layer(args.variant, block_params(L, W2_D, 4 * W2_D), L)
    x = jnp.asarray(rng.standard_normal((W2_BATCH, W2_SEQ, W2_D)).astype(np.float32))

    def loss(p, x):
        y = layers_fold(args.variant, lambda h, l: block(h, l, W2_HEADS), x, p)
        return jnp.mean(y * y)

    return compile_and_time(args, jax.value_and_grad(loss), params, x)


# ---------------------------------------------------------------- the demo's training step
def train(args):
    L = args.L
    params = {"tok": uniform((LM_VOCAB, LM_WIDTH), 1.0), "pos": uniform((LM_CONTEXT, LM_WIDTH), 1.0),
              "blocks": block_params(L, LM_WIDTH, 4 * LM_WIDTH),
              "ln_scale": jnp.ones(LM_WIDTH), "ln_bias": jnp.zeros(LM_WIDTH),
              "head_w": uniform((LM_WIDTH, LM_VOCAB), np.sqrt(3 / LM_WIDTH)),
              "head_b": jnp.zeros(LM_VOCAB)}
    windows = jnp.asarray(rng.integers(0, LM_VOCAB, (LM_BATCH, LM_CONTEXT + 1)), jnp.int32)
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(1e-3))
    state = opt.init(params)

    def loss(p, w):
        tokens, targets = w[:, :-1], w[:, 1:]
        h = p["tok"][tokens] + p["pos"][: tokens.shape[1]]
        h = layers_fold("scan", lambda c, l: block(c, l, LM_HEADS), h, p["blocks"])
        logits = layer_norm(h, p["ln_scale"], p["ln_bias"]) @ p["head_w"] + p["head_b"]
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, targets[..., None], -1))

    def step(p, s, w):
        value, grads = jax.value_and_grad(loss)(p, w)
        updates, s = opt.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    # Parameters and optimiser state are donated: updated in place, as a JAX user would.
    jitted = jax.jit(step, donate_argnums=(0, 1))
    box = {"p": params, "s": state}
    compiled = {}

    def compile_fn():
        compiled["f"] = jitted.lower(box["p"], box["s"], windows).compile()

    def step_fn():
        box["p"], box["s"], value = compiled["f"](box["p"], box["s"], windows)
        value.block_until_ready()

    return measure(args, compile_fn, step_fn)


def compile_and_time(args, fn, *inputs):
    compiled = {}

    def compile_fn():
        compiled["f"] = jax.jit(fn).lower(*inputs).compile()

    def step_fn():
        jax.block_until_ready(compiled["f"](*inputs))

    return measure(args, compile_fn, step_fn)


if __name__ == "__main__":
    a = parse_args()
    report("jax", a, {"w1": w1, "w2": w2, "train": train}[a.workload](a))
