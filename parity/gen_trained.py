"""Train in JAX, deploy in C++: a Flax NNX model (a stem, four residual blocks, a head) trained
for a few AdamW steps in Python, its parameters saved as safetensors under per-layer keys
(`blocks.2.fc.kernel`, the state-dict layout), with a test input and the model's logits on it.
tests/parity/trained_model_parity_test.cpp loads the file into the equivalent strata model, whose
blocks are one nn::Stacked (one scan), and must give the same logits."""
import jax
import jax.numpy as jnp
import optax
from flax import nnx

from common import save

WIDTH, DEPTH, STEPS = 16, 4, 5


class Block(nnx.Module):
    def __init__(self, rngs):
        self.norm = nnx.LayerNorm(WIDTH, rngs=rngs)
        self.fc = nnx.Linear(WIDTH, WIDTH, rngs=rngs)

    def __call__(self, x):
        return x + jax.nn.gelu(self.fc(self.norm(x)), approximate=False)


class Model(nnx.Module):
    def __init__(self, rngs):
        self.stem = nnx.Linear(3, WIDTH, rngs=rngs)
        self.blocks = nnx.List([Block(rngs) for _ in range(DEPTH)])
        self.head = nnx.Linear(WIDTH, 2, rngs=rngs)

    def __call__(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def main():
    model = Model(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adamw(1e-2), wrt=nnx.Param)
    keys = jax.random.split(jax.random.PRNGKey(1), STEPS + 1)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        optimizer.update(model, grads)
        return loss

    losses = []
    for k in keys[:STEPS]:
        x = jax.random.normal(k, (32, 3))
        y = jnp.stack([jnp.sin(x[:, 0]), x[:, 1] * x[:, 2]], axis=-1)
        losses.append(float(train_step(model, optimizer, x, y)))
    out = {"params." + ".".join(map(str, path)): v[...]
           for path, v in nnx.state(model, nnx.Param).flat_state()}
    x_test = jax.random.normal(keys[STEPS], (6, 3))
    out["x_test"] = x_test
    out["logits"] = model(x_test)
    save("trained_model", out, steps=STEPS, losses=",".join(f"{l:.6f}" for l in losses))


if __name__ == "__main__":
    main()
