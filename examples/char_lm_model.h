// The model of examples/char_lm.cpp: a character-level pre-LN transformer whose blocks are one
// nn::Stacked module applied with one scan, its loss, the jitted train / evaluation / sampling
// steps, held-out scoring and word generation.  Built only from strata's public API.
#pragma once

#include <strata/nn/nn.h>
#include <strata/strata.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace char_lm {

namespace st = strata;
namespace nn = strata::nn;
namespace optim = strata::optim;

struct ModelConfig {
  int64_t vocab = 0, context = 32, layers = 16, width = 128, heads = 4;
};

using BlockStack = nn::Stacked<nn::TransformerBlock>;

// tokens (B, T) int32 -> next-token logits (B, T, vocab), for T <= context.
struct CharLM {
  nn::Embedding token_embed;     // (vocab, width)
  nn::Embedding position_embed;  // (context, width): learned absolute positions
  // `layers` pre-LN blocks as one module whose every array has a leading [layers] axis.  The
  // block constructor runs once, under vmap over `layers` split keys (nnx.split_rngs), so each
  // layer gets its own initial values.  The stack's gradient_checkpointing is the remat policy
  // of its scan: what the backward pass keeps of each block.
  BlockStack blocks;
  nn::LayerNorm final_norm;  // pre-LN blocks leave the residual stream unnormalised
  nn::Linear head;           // width -> vocab

  CharLM(const ModelConfig& c, nn::Rngs& rngs, const st::CheckpointPolicy& remat = {})
      : token_embed(c.vocab, c.width, rngs),
        position_embed(c.context, c.width, rngs),
        blocks(BlockStack::init(nn::Axis{"blocks", c.layers}, {.gradient_checkpointing = remat})(
            c.width, c.heads, 4 * c.width, rngs, nn::TransformerOptions{.causal = true})),
        final_norm(c.width, rngs),
        head(c.width, c.vocab, rngs) {}

  st::Array operator()(const st::Array& tokens) const {
    const int64_t t = tokens.shape(1);
    st::Array h = token_embed(tokens) +
                  st::slice(position_embed.embedding, {st::Slice{0, t}});  // (B, T, width)
    // One scan over the stacked blocks: its body is traced and compiled once, whatever the depth.
    h = blocks.fold(h);
    return head(final_norm(h));
  }

  STRATA_TREE_MEMBERS(token_embed, position_embed, blocks, final_norm, head)
};

// The same model (sharing its arrays) with another remat policy for the block stack.
inline CharLM with_remat(CharLM model, const st::CheckpointPolicy& remat) {
  model.blocks = BlockStack(model.blocks.layers, model.blocks.block(),
                            {.gradient_checkpointing = remat, .unroll = model.blocks.unroll()});
  return model;
}

// Mean next-token cross-entropy in nats of windows (B, T + 1): tokens 0..T-1 predict 1..T.
inline st::Array next_token_loss(const CharLM& model, const st::Array& windows) {
  const int64_t t = windows.shape(1) - 1;
  const st::Array inputs = st::slice(windows, {st::Slice{}, st::Slice{0, t}});
  const st::Array targets = st::slice(windows, {st::Slice{}, st::Slice{1, t + 1}});
  const st::Array log_probs = st::log_softmax(model(inputs));
  const st::Array vocab_ids = st::iota(st::DType::Int32, {model.head.out_features});
  const st::Array one_hot =
      st::astype(st::expand_dims(targets, -1) == vocab_ids, log_probs.dtype());
  return -st::mean(st::sum(log_probs * one_hot, {-1}));
}

// The optimiser: AdamW on gradients clipped to global norm 1.
inline auto make_optimizer(double learning_rate) {
  return optim::chain(optim::clip_by_global_norm(1.0), optim::adamw(learning_rate));
}
using Optimizer = decltype(make_optimizer(0.0));
using OptState = Optimizer::State<nn::State>;

// (params, optimiser state, windows (B, T + 1)) -> (new params, new state, loss in nats), jitted:
// one compiled graph (forward, the block scan's backward under the stack's remat policy, AdamW)
// for every step.  `model` lends its structure and static data (the policy); nn::merge replaces
// every array with the params.
inline auto make_train_step(const CharLM& model, const Optimizer& opt) {
  return st::jit([model, opt](const nn::State& params, const OptState& state,
                              const st::Array& windows) {
    auto loss = [&](const nn::State& p) { return next_token_loss(nn::merge(model, p), windows); };
    auto [value, grads] = st::value_and_grad(loss)(params);
    auto [updates, new_state] = opt.update(grads, state, params);
    return std::tuple{optim::apply_updates(params, updates), new_state, value};
  });
}

// (params, windows (N, T + 1)) -> mean loss in nats, jitted.
inline auto make_eval_step(const CharLM& model) {
  return st::jit([model](const nn::State& params, const st::Array& windows) {
    return next_token_loss(nn::merge(model, params), windows);
  });
}

// (params, tokens (G, T), read (T,) one-hot float, key) -> (G,) int32 next tokens, jitted:
// sampled from softmax(logits / temperature) at the position `read` marks, by the Gumbel-max
// trick (argmax of logits / temperature + Gumbel noise drawn from `key`).  The causal mask makes
// the tokens after that position irrelevant, so one shape serves every step.
inline auto make_sample_step(const CharLM& model, double temperature) {
  return st::jit([model, temperature](const nn::State& params, const st::Array& tokens,
                                      const st::Array& read, const st::Array& key) {
    const st::Array logits = nn::merge(model, params)(tokens);  // (G, T, V)
    const st::Array at = st::reshape(read, {1, -1, 1});
    const st::Array last = st::sum(logits * at, {1});  // (G, V)
    const st::Array u =
        st::random::uniform(key, last.shape(), st::DType::Float32, 1e-20, 1.0);  // no log(0)
    const st::Array gumbel = -st::log(-st::log(u));
    return st::astype(st::argmax(last * (1.0 / temperature) + gumbel, -1), st::DType::Int32);
  });
}

inline constexpr double kLn2 = 0.6931471805599453;

// Mean held-out loss in bits per character over `windows`, scored in chunks of `chunk` windows
// (the last chunk may be smaller: one more compiled signature).
template <class EvalStep>
double held_out_bits(const EvalStep& eval, const nn::State& params, const st::Array& windows,
                     int64_t chunk) {
  const int64_t n = windows.shape(0);
  double nats = 0;
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t end = std::min(n, begin + chunk);
    const st::Array part = windows.slice(begin, end);
    nats += static_cast<double>(eval(params, part).template item<float>()) *
            static_cast<double>(end - begin);
  }
  return nats / static_cast<double>(n) / kLn2;
}

// `count` words sampled one character at a time, all in one batch: each starts after a '\n'
// (a word boundary) and ends at the next '\n' or after context - 1 characters.  `alphabet` maps
// tokens to bytes.
inline std::vector<std::string> generate_words(const CharLM& model, const nn::State& params,
                                               const std::vector<unsigned char>& alphabet,
                                               int64_t count, int64_t context, double temperature,
                                               nn::Rngs& rngs) {
  if (count == 0) return {};
  const auto sample = make_sample_step(model, temperature);
  const auto newline =
      static_cast<int32_t>(std::find(alphabet.begin(), alphabet.end(), '\n') - alphabet.begin());
  std::vector<int32_t> tokens(static_cast<size_t>(count * context), newline);
  std::vector<std::string> words(static_cast<size_t>(count));
  std::vector<bool> done(static_cast<size_t>(count), false);
  for (int64_t pos = 0; pos + 1 < context; ++pos) {
    std::vector<float> read(static_cast<size_t>(context), 0.f);
    read[static_cast<size_t>(pos)] = 1.f;
    const std::vector<int32_t> next =
        sample(params, st::array(tokens, {count, context}), st::array(read), rngs("sample"))
            .to_vector<int32_t>();
    bool all_done = true;
    for (int64_t g = 0; g < count; ++g) {
      const size_t gi = static_cast<size_t>(g);
      tokens[static_cast<size_t>(g * context + pos + 1)] = next[gi];
      if (next[gi] == newline) done[gi] = true;
      if (!done[gi]) words[gi] += static_cast<char>(alphabet[static_cast<size_t>(next[gi])]);
      all_done = all_done && done[gi];
    }
    if (all_done) break;
  }
  return words;
}

}  // namespace char_lm
