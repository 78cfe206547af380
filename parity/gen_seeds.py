"""Golden values of the five seed programs (../shared/seeds/) and of a pre-LN transformer block,
run in JAX / Flax, for tests/parity/seeds_parity_test.cpp: outputs, parameters and jax.grad of
a fixed linear functional of the output (sum(out * cos(arange))) with respect to the parameters
and the input, for several seeds and sizes.

Seed 000's ArrayStacked walkthrough runs here as the lax.scan that haliax.nn.ArrayStacked
documents (fold_via / scan_via over a leading layer axis): haliax 1.3, the release current with
jax 0.10.2, fails to import with it (it imports jax._src.tree_util.BuiltInKeyEntry, which that
jax no longer has), so it is not in parity/requirements.txt.
"""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from flax import traverse_util

from common import save


def cotangent(shape):
    """The weights of the scalar loss sum(out * c) whose gradients are compared."""
    return jnp.cos(jnp.arange(int(np.prod(shape)), dtype=jnp.float32)).reshape(shape)


def loss_of(out):
    return jnp.sum(out * cotangent(out.shape))


def inputs(case, shape):
    return jax.random.normal(jax.random.PRNGKey(1000 + case), shape)


def scan_apply_layers(weights, x):
    """Seed 002."""
    def layer(y, w):
        return w @ y, None
    final, _ = jax.lax.scan(layer, x, weights)
    return final


def seed002(out):
    cases = [(2, 2), (7, 5), (24, 16)]
    for case, (n, d) in enumerate(cases):
        p = f"scan_apply_layers.{case}"
        if case == 0:  # the worked example: identity, then swap
            weights = jnp.array([[[1., 0.], [0., 1.]], [[0., 1.], [1., 0.]]])
            x = jnp.array([3., 4.])
        else:
            weights = jax.random.normal(jax.random.PRNGKey(case), (n, d, d)) / np.sqrt(d)
            x = inputs(case, (d,))
        out[f"{p}.weights"], out[f"{p}.x"] = weights, x
        out[f"{p}.out"] = scan_apply_layers(weights, x)
        gw, gx = jax.grad(lambda w, v: loss_of(scan_apply_layers(w, v)), argnums=(0, 1))(weights, x)
        out[f"{p}.grad_weights"], out[f"{p}.grad_x"] = gw, gx
    return ";".join(f"{n}x{d}" for n, d in cases)


def seed001(out):
    cases = [(0, 3, 4), (5, 8, 16), (42, 12, 32)]
    for case, (seed, n, f) in enumerate(cases):
        p = f"scan_layers_forward.{case}"

        @nnx.split_rngs(splits=n)
        @nnx.vmap(in_axes=(0,), out_axes=0)
        def make_block(rngs):
            return nnx.Linear(f, f, rngs=rngs)

        blocks = make_block(nnx.Rngs(seed))

        @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
        def forward(x, block):
            return jax.nn.relu(block(x))

        x = inputs(case, (f,))
        out[f"{p}.x"] = x
        out[f"{p}.kernel"], out[f"{p}.bias"] = blocks.kernel[...], blocks.bias[...]
        out[f"{p}.out"] = forward(x, blocks).reshape(-1)
        g_blocks, g_x = nnx.grad(lambda b, v: loss_of(forward(v, b)), argnums=(0, 1))(blocks, x)
        out[f"{p}.grad_kernel"], out[f"{p}.grad_bias"] = g_blocks.kernel[...], g_blocks.bias[...]
        out[f"{p}.grad_x"] = g_x
    return ";".join(f"{s},{n},{f}" for s, n, f in cases)


class Block(nn.Module):
    features: int

    @nn.compact
    def __call__(self, x, _):
        return nn.relu(nn.Dense(self.features)(x)), None


def seed003(out):
    cases = [(0, 3, 4, 2), (1, 6, 8, 5)]
    tree = None
    for case, (seed, n, f, b) in enumerate(cases):
        p = f"composed_lifts_forward.{case}"
        scan_layer = nn.scan(Block, variable_axes={"params": 0}, split_rngs={"params": True},
                             length=n)
        batched = nn.vmap(scan_layer, in_axes=0, out_axes=0, variable_axes={"params": None},
                          split_rngs={"params": False})
        model = batched(features=f)
        x = inputs(case, (b, f))
        params = model.init(jax.random.PRNGKey(seed), x, None)
        flat = traverse_util.flatten_dict(params, sep="/")
        tree = ",".join(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in sorted(flat.items()))
        for k, v in flat.items():
            out[f"{p}.{k}"] = v
        out[f"{p}.x"] = x

        def run(prm, v):
            final, ys = model.apply(prm, v, None)
            assert ys is None
            return final.reshape(-1)

        out[f"{p}.out"] = run(params, x)
        g_params, g_x = jax.grad(lambda prm, v: loss_of(run(prm, v)), argnums=(0, 1))(params, x)
        for k, v in traverse_util.flatten_dict(g_params, sep="/").items():
            out[f"{p}.grad.{k}"] = v
        out[f"{p}.grad_x"] = g_x
    return ";".join(f"{s},{n},{f},{b}" for s, n, f, b in cases), tree


class LaxScanModule(nn.Module):
    hidden: int
    T: int

    @nn.compact
    def __call__(self, x):
        W = self.param("W", nn.initializers.lecun_normal(), (self.hidden, self.hidden))
        init_carry = jnp.tanh(x @ W)

        def body(carry, _):
            return jnp.tanh(carry @ W), None

        final, _ = jax.lax.scan(body, init_carry, jnp.arange(self.T))
        return final


def seed004(out):
    cases = [(0, 5, 6), (3, 16, 20)]
    for case, (seed, h, t) in enumerate(cases):
        p = f"lax_scan_in_module.{case}"
        model = LaxScanModule(hidden=h, T=t)
        x = inputs(case, (h,))
        params = model.init(jax.random.PRNGKey(seed), x)
        out[f"{p}.x"], out[f"{p}.W"] = x, params["params"]["W"]
        out[f"{p}.out"] = model.apply(params, x)
        g_params, g_x = jax.grad(lambda prm, v: loss_of(model.apply(prm, v)),
                                 argnums=(0, 1))(params, x)
        out[f"{p}.grad_W"], out[f"{p}.grad_x"] = g_params["params"]["W"], g_x
    return ";".join(f"{s},{h},{t}" for s, h, t in cases)


def seed000(out):
    """ArrayStacked: weights (L, W) from normal(PRNGKey(seed)); fold_via with a per-layer scale
    and a shared (16, 16) mask; scan_via stacking every layer's carry; the gradient of the fold's
    sum with respect to the weights."""
    cases = [(0, 4, 8), (1, 4, 8), (7, 6, 16)]
    for seed, layers, width in cases:
        p = f"array_stacked.{seed}"
        weights = jax.random.normal(jax.random.PRNGKey(seed), (layers, width))
        scale = jnp.arange(1, layers + 1, dtype=jnp.float32)
        mask = jnp.ones((16, 16))

        def fold(w):
            def block(carry, ws):
                wi, si = ws
                return carry + wi * si + jnp.sum(mask), None
            return jax.lax.scan(block, jnp.zeros((width,)), (w, scale))[0]

        def block_scan(carry, ws):
            wi, xi = ws
            carry = carry + wi * xi
            return carry, carry

        out[f"{p}.weights"] = weights
        out[f"{p}.fold"] = fold(weights)
        last, per_layer = jax.lax.scan(block_scan, jnp.zeros((width,)),
                                       (weights, jnp.ones((layers, width))))
        out[f"{p}.scan_last"], out[f"{p}.scan_per_layer"] = last, per_layer
        out[f"{p}.grad_weights"] = jax.grad(lambda w: jnp.sum(fold(w)))(weights)
    return ";".join(f"{s},{l},{w}" for s, l, w in cases)


class Mlp(nnx.Module):
    def __init__(self, d, hidden, rngs):
        self.fc1 = nnx.Linear(d, hidden, rngs=rngs)
        self.fc2 = nnx.Linear(hidden, d, rngs=rngs)

    def __call__(self, x):
        return self.fc2(jax.nn.gelu(self.fc1(x)))


class PreLNBlock(nnx.Module):
    """x + attn(ln1(x)), then h + mlp(ln2(h)): strata's nn::TransformerBlock, same names."""

    def __init__(self, d, heads, hidden, rngs):
        self.ln1 = nnx.LayerNorm(d, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(num_heads=heads, in_features=d, decode=False,
                                           rngs=rngs)
        self.ln2 = nnx.LayerNorm(d, rngs=rngs)
        self.mlp = Mlp(d, hidden, rngs)

    def __call__(self, x):
        h = x + self.attn(self.ln1(x), mask=nnx.make_causal_mask(x[..., 0]))
        return h + self.mlp(self.ln2(h))


def transformer(out):
    cases = [(0, 16, 4, 32, 2, 5), (3, 32, 2, 64, 3, 7)]
    for case, (seed, d, heads, hidden, b, t) in enumerate(cases):
        p = f"transformer_block.{case}"
        block = PreLNBlock(d, heads, hidden, nnx.Rngs(seed))
        x = inputs(case, (b, t, d))
        out[f"{p}.x"] = x
        for path, v in nnx.state(block, nnx.Param).flat_state():
            out[f"{p}.params." + ".".join(map(str, path))] = v[...]
        out[f"{p}.out"] = block(x)
        g_block, g_x = nnx.grad(lambda m, v: loss_of(m(v)), argnums=(0, 1))(block, x)
        for path, v in nnx.state(g_block, nnx.Param).flat_state():
            out[f"{p}.grad." + ".".join(map(str, path))] = v[...]
        out[f"{p}.grad_x"] = g_x
    return ";".join(",".join(map(str, c)) for c in cases)


def main():
    out = {}
    meta = {"scan_apply_layers": seed002(out), "scan_layers_forward": seed001(out),
            "lax_scan_in_module": seed004(out), "array_stacked": seed000(out),
            "transformer_block": transformer(out)}
    meta["composed_lifts_forward"], meta["linen_param_tree"] = seed003(out)
    save("seeds", out, **meta)


if __name__ == "__main__":
    main()
