"""Golden values of optax for tests/parity/optim_parity_test.cpp: three steps of
optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(1e-2)) on a parameter tree, with the
gradient of each step given (its global norm is above 1, so clipping acts), and the same three
steps of plain optax.adam(1e-2) and optax.sgd(0.1, momentum=0.9)."""
import jax
import jax.numpy as jnp
import optax

from common import save

STEPS = 3


def main():
    keys = jax.random.split(jax.random.PRNGKey(0), 2 + STEPS)
    params = {"a": jax.random.normal(keys[0], (3, 4)), "b": jax.random.normal(keys[1], (5,))}
    grads = [{"a": 2.0 * jax.random.normal(k, (3, 4)), "b": jax.random.normal(k, (5,)) - 0.5}
             for k in keys[2:]]
    out = {f"params.{k}": v for k, v in params.items()}
    for s, g in enumerate(grads):
        for k, v in g.items():
            out[f"grads{s}.{k}"] = v
    optimizers = {
        "adamw_clip": optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(1e-2)),
        "adam": optax.adam(1e-2),
        "sgd_momentum": optax.sgd(0.1, momentum=0.9),
    }
    for name, opt in optimizers.items():
        p, state = params, opt.init(params)
        for s, g in enumerate(grads):
            updates, state = opt.update(g, state, p)
            p = optax.apply_updates(p, updates)
            for k, v in p.items():
                out[f"{name}.step{s}.{k}"] = v
    save("optim", out, steps=STEPS)


if __name__ == "__main__":
    main()
