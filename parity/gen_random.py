"""Golden values of jax.random for tests/parity/random_parity_test.cpp.

For each seed (negative and 64-bit ones included): the key, split into 3, fold_in, bits of every
width, uniform, normal and truncated_normal in float32 and float64, for a few shapes; then
gumbel, bernoulli, categorical and permutation (incl. one long enough for two shuffle rounds).  64-bit
seeds and float64 / uint64 draws need jax_enable_x64; the key of a negative seed then has high
word 0xFFFFFFFF, which is what strata::random::key(int64_t) gives.
"""
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from common import save  # noqa: E402

SEEDS = [0, 1, 42, 2**31 - 1, -1, -12345, 2**32 + 7, 2**40 + 5, -(2**50)]
SHAPES = [(), (5,), (3, 4), (2, 3, 5)]


def shape_name(shape):
    return "x".join(str(d) for d in shape) or "scalar"


def discrete(key, p, out):
    """The samplers built on uniform and sorting.  Integer results are stored as int32 (strata's
    index dtype; with jax_enable_x64 JAX returns int64), and Python-float probabilities are
    passed as float32 scalars (JAX's default for a Python float without x64)."""
    for dt in (jnp.float32, jnp.float64):
        name = jnp.dtype(dt).name
        out[f"{p}.gumbel_3x4_{name}"] = jax.random.gumbel(key, (3, 4), dt)
    out[f"{p}.bernoulli_0.3_1000"] = jax.random.bernoulli(key, np.float32(0.3), (1000,))
    out[f"{p}.bernoulli_half_2x3"] = jax.random.bernoulli(key, np.float32(0.5), (2, 3))
    probs = np.linspace(0.05, 0.95, 5)
    out[f"{p}.bernoulli_p5"] = probs
    out[f"{p}.bernoulli_p5_float64_4x5"] = jax.random.bernoulli(key, jnp.asarray(probs), (4, 5))
    logits = np.cos(np.arange(24, dtype=np.float32)).reshape(4, 6) * 3
    out[f"{p}.categorical_logits"] = logits
    cat = lambda *a, **k: jax.random.categorical(key, *a, **k).astype(np.int32)  # noqa: E731
    out[f"{p}.categorical_4x6"] = cat(logits)
    out[f"{p}.categorical_axis0"] = cat(logits, axis=0)
    out[f"{p}.categorical_shape_7x4"] = cat(logits, shape=(7, 4))
    for n in (1, 10, 100, 2000):
        out[f"{p}.permutation_{n}"] = jax.random.permutation(key, n).astype(np.int32)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    out[f"{p}.permutation_x4x3_axis0"] = jax.random.permutation(key, x, axis=0)
    out[f"{p}.permutation_x4x3_axis1"] = jax.random.permutation(key, x, axis=1)


def main():
    out = {}
    for seed in SEEDS:
        key = jax.random.PRNGKey(np.int64(seed))
        p = f"seed{seed}"
        out[f"{p}.key"] = key
        out[f"{p}.split3"] = jax.random.split(key, 3)
        out[f"{p}.fold_in7"] = jax.random.fold_in(key, 7)
        out[f"{p}.fold_in_big"] = jax.random.fold_in(key, 2**32 - 3)
        for shape in SHAPES:
            s = f"{p}.{shape_name(shape)}"
            for dt in (jnp.uint8, jnp.uint16, jnp.uint32, jnp.uint64):
                out[f"{s}.bits_{jnp.dtype(dt).name}"] = jax.random.bits(key, shape, dt)
            for dt in (jnp.float32, jnp.float64):
                name = jnp.dtype(dt).name
                out[f"{s}.uniform_{name}"] = jax.random.uniform(key, shape, dt)
                out[f"{s}.uniform_m3_5_{name}"] = jax.random.uniform(key, shape, dt, -3.0, 5.0)
                out[f"{s}.normal_{name}"] = jax.random.normal(key, shape, dt)
                out[f"{s}.truncated_normal_{name}"] = jax.random.truncated_normal(
                    key, -2.0, 1.5, shape, dt)
        discrete(key, p, out)
    save("random", out, seeds=",".join(str(s) for s in SEEDS),
         shapes=";".join(shape_name(s) for s in SHAPES))


if __name__ == "__main__":
    main()
