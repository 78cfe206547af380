"""Golden values of jax.nn.initializers and Flax NNX layers for tests/parity/nn_parity_test.cpp.

Initialisers: each one called on a fixed key for a few shapes (float32).  Layers: the parameters
of nnx.Linear, LinearGeneral, Embed, LayerNorm, RMSNorm and MultiHeadAttention built from
nnx.Rngs(seed) for several seeds, and each layer's output on a fixed input.
"""
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from common import save

SEEDS = [0, 1, 7]
INITS = {
    "lecun_normal": jax.nn.initializers.lecun_normal(),
    "lecun_uniform": jax.nn.initializers.lecun_uniform(),
    "glorot_normal": jax.nn.initializers.glorot_normal(),
    "glorot_uniform": jax.nn.initializers.glorot_uniform(),
    "he_normal": jax.nn.initializers.he_normal(),
    "he_uniform": jax.nn.initializers.he_uniform(),
    "normal_0.02": jax.nn.initializers.normal(0.02),
    "uniform_0.5": jax.nn.initializers.uniform(0.5),
    "truncated_normal_0.1": jax.nn.initializers.truncated_normal(0.1),
}
INIT_SHAPES = [(4, 3), (16, 8), (2, 5, 6)]


def main():
    out = {}
    for seed in SEEDS:
        key = jax.random.PRNGKey(seed)
        for name, init in INITS.items():
            for shape in INIT_SHAPES:
                out[f"init.seed{seed}.{name}.{'x'.join(map(str, shape))}"] = init(
                    key, shape, jnp.float32)
        p = f"nnx.seed{seed}"
        x = jax.random.normal(jax.random.PRNGKey(100 + seed), (2, 3, 8), jnp.float32)
        out[f"{p}.x"] = x
        layers = {
            "linear": nnx.Linear(8, 5, rngs=nnx.Rngs(seed)),
            "linear_general": nnx.LinearGeneral(8, (2, 3), rngs=nnx.Rngs(seed)),
            "layer_norm": nnx.LayerNorm(8, rngs=nnx.Rngs(seed)),
            "rms_norm": nnx.RMSNorm(8, rngs=nnx.Rngs(seed)),
            "attention": nnx.MultiHeadAttention(num_heads=2, in_features=8, decode=False,
                                                rngs=nnx.Rngs(seed)),
        }
        for name, layer in layers.items():
            for path, value in nnx.state(layer, nnx.Param).flat_state():
                out[f"{p}.{name}.param." + ".".join(map(str, path))] = np.asarray(value)
            out[f"{p}.{name}.y"] = layer(x)
        embed = nnx.Embed(10, 4, rngs=nnx.Rngs(seed))
        out[f"{p}.embed.param.embedding"] = np.asarray(embed.embedding)
        out[f"{p}.embed.y"] = embed(jnp.array([[1, 9, 0], [3, 3, 2]], jnp.int32))
    save("nn", out, seeds=",".join(map(str, SEEDS)))


if __name__ == "__main__":
    main()
