// Checkpoints of examples/char_lm.cpp: one safetensors file holding everything a run needs to
// continue exactly where it stopped, plus its loss history as a CSV table and an SVG curve.
//
//   DIR/checkpoint.safetensors   params.*     the model's nn::state_dict (per-layer keys:
//                                             params.blocks.3.mlp.fc1.kernel)
//                                opt_state.*  nn::tree_state of the optimiser state
//                                rngs.*       nn::tree_state of the nn::Rngs; its "data" stream
//                                             drives batch sampling, so it is the data position
//                                history.*    the losses so far (see History)
//                                metadata     the run's settings, the step, the format
//   DIR/loss.csv, DIR/loss.svg   the history as a table and a picture (rewritten on every save)
//
// One file, not one per part, because io::save_safetensors replaces a file atomically: a crash
// mid-save leaves the previous checkpoint whole, never parameters of one step with the optimiser
// state of another.  The model alone, for another program (or JAX / PyTorch, stripping `params.`):
//
//   auto tensors = io::load_safetensors("DIR/checkpoint.safetensors");
//   model = nn::load_state_dict(model, char_lm::section(tensors, "params."));
#pragma once

#include <strata/io.h>
#include <strata/nn/nn.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "char_lm_plot.h"

namespace char_lm {

namespace st = strata;
namespace nn = strata::nn;

inline constexpr const char* kCheckpointFile = "checkpoint.safetensors";
inline constexpr const char* kCheckpointFormat = "strata char_lm checkpoint 1";

// A checkpoint directory that is missing, unreadable or not a char_lm checkpoint.
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The losses so far.  train_bits[i] is the training loss (bits/char) of step i + 1 on its batch,
// before that step's update; eval_bits[k] the held-out loss after eval_steps[k] steps.
struct History {
  std::vector<double> train_bits;
  std::vector<int64_t> eval_steps;
  std::vector<double> eval_bits;
};

struct Checkpoint {
  int64_t step = 0;                             // training steps done
  std::map<std::string, std::string> metadata;  // the run's settings (char_lm.cpp decides which)
  nn::State params, opt_state, rngs;            // the sections above, without their prefixes
  History history;
};

// The entries of `tensors` whose key starts with `prefix`, with the prefix removed.
inline nn::State section(const std::map<std::string, st::Array>& tensors,
                         const std::string& prefix) {
  nn::State out;
  for (const auto& [key, array] : tensors) {
    if (key.compare(0, prefix.size(), prefix) == 0) out.emplace(key.substr(prefix.size()), array);
  }
  return out;
}

// FNV-1a (64 bits) of a file's bytes, with its size: enough to tell that a resumed run was given
// another text than the one the checkpoint was trained on (not a cryptographic hash).
inline std::pair<uint64_t, uint64_t> fnv1a64_of_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open the text file `" + path + "`");
  uint64_t hash = 14695981039346656037ull, size = 0;
  char buf[1 << 16];
  while (file.read(buf, sizeof buf) || file.gcount() > 0) {
    for (std::streamsize i = 0; i < file.gcount(); ++i) {
      hash = (hash ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
    }
    size += static_cast<uint64_t>(file.gcount());
  }
  return {hash, size};
}

inline std::string to_hex(const std::vector<unsigned char>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}
inline std::vector<unsigned char> from_hex(const std::string& hex) {
  const auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::invalid_argument("not a hex digit");
  };
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd length");
  std::vector<unsigned char> out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<unsigned char>(digit(hex[i]) * 16 + digit(hex[i + 1])));
  }
  return out;
}

// Writes `text` to `path` through a temporary file renamed into place, as the checkpoint itself.
inline void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw CheckpointError("cannot write `" + tmp.string() + "`");
  }
  std::filesystem::rename(tmp, path);
}

// The history as CSV: one row per step (0 = before training), full precision (%.17g, so the
// numbers read back exactly), empty cells where there is no value.
inline std::string loss_csv(const History& h) {
  std::string csv = "step,train_bits,held_out_bits\n";
  size_t k = 0;
  for (size_t step = 0; step <= h.train_bits.size(); ++step) {
    char row[96];
    int n = std::snprintf(row, sizeof row, "%zu,", step);
    if (step > 0) n += std::snprintf(row + n, sizeof row - n, "%.17g", h.train_bits[step - 1]);
    row[n++] = ',';
    row[n] = '\0';
    for (; k < h.eval_steps.size() && h.eval_steps[k] <= static_cast<int64_t>(step); ++k) {
      if (h.eval_steps[k] == static_cast<int64_t>(step)) {
        std::snprintf(row + n, sizeof row - n, "%.17g", h.eval_bits[k]);
      }
    }
    csv += row;
    csv += '\n';
  }
  return csv;
}

inline bool has_checkpoint(const std::string& dir) {
  return std::filesystem::exists(std::filesystem::path(dir) / kCheckpointFile);
}

// Writes DIR/checkpoint.safetensors (atomically), then DIR/loss.csv and DIR/loss.svg (titled
// `plot_title`), creating DIR if needed.
inline void save_checkpoint(const std::string& dir, const Checkpoint& c,
                            const std::string& plot_title) {
  std::map<std::string, st::Array> tensors;
  for (const auto& [prefix, part] : {std::pair<std::string, const nn::State*>{"params.", &c.params},
                                     {"opt_state.", &c.opt_state},
                                     {"rngs.", &c.rngs}}) {
    for (const auto& [key, array] : *part) tensors.emplace(prefix + key, array);
  }
  const History& h = c.history;
  tensors.emplace("history.train_bits", st::array(h.train_bits));
  tensors.emplace("history.eval_steps", st::array(h.eval_steps));
  tensors.emplace("history.eval_bits", st::array(h.eval_bits));
  std::map<std::string, std::string> metadata = c.metadata;
  metadata["format"] = kCheckpointFormat;
  metadata["step"] = std::to_string(c.step);

  const std::filesystem::path path(dir);
  std::filesystem::create_directories(path);
  st::io::save_safetensors((path / kCheckpointFile).string(), tensors, metadata);
  write_file_atomically(path / "loss.csv", loss_csv(h));
  std::vector<std::pair<double, double>> eval;
  for (size_t k = 0; k < h.eval_steps.size(); ++k) {
    eval.emplace_back(static_cast<double>(h.eval_steps[k]), h.eval_bits[k]);
  }
  write_file_atomically(path / "loss.svg", loss_curve_svg(h.train_bits, eval, plot_title));
}

// Reads DIR/checkpoint.safetensors; a CheckpointError says what is missing or wrong.
inline Checkpoint load_checkpoint(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / kCheckpointFile).string();
  if (!std::filesystem::is_directory(dir)) {
    throw CheckpointError("no checkpoint directory `" + dir + "`");
  }
  if (!std::filesystem::exists(path)) {
    throw CheckpointError("`" + dir + "` holds no checkpoint (no " + kCheckpointFile + ")");
  }
  Checkpoint c;
  std::map<std::string, st::Array> tensors;
  try {
    tensors = st::io::load_safetensors(path);
    c.metadata = st::io::load_safetensors_metadata(path);
  } catch (const st::Error& e) {
    throw CheckpointError("cannot read the checkpoint `" + path + "`: " + e.what());
  }
  const auto bad = [&](const std::string& what) {
    return CheckpointError("`" + path + "` is not a usable char_lm checkpoint: " + what);
  };
  if (c.metadata["format"] != kCheckpointFormat) {
    throw bad("its metadata lacks format \"" + std::string(kCheckpointFormat) + "\"");
  }
  try {
    c.step = std::stoll(c.metadata.at("step"));
  } catch (const std::exception&) {
    throw bad("its metadata has no valid step");
  }
  for (const auto& [key, array] : tensors) {
    if (key.rfind("params.", 0) && key.rfind("opt_state.", 0) && key.rfind("rngs.", 0) &&
        key.rfind("history.", 0)) {
      throw bad("unexpected tensor `" + key + "`");
    }
  }
  c.params = section(tensors, "params.");
  c.opt_state = section(tensors, "opt_state.");
  c.rngs = section(tensors, "rngs.");
  const nn::State history = section(tensors, "history.");
  const auto column = [&](const char* key, st::DType dtype) {
    const auto it = history.find(key);
    if (it == history.end() || it->second.dtype() != dtype || it->second.ndim() != 1) {
      throw bad(std::string("no history.") + key + " vector of " + std::string(st::name(dtype)));
    }
    return it->second;
  };
  c.history.train_bits = column("train_bits", st::DType::Float64).to_vector<double>();
  c.history.eval_steps = column("eval_steps", st::DType::Int64).to_vector<int64_t>();
  c.history.eval_bits = column("eval_bits", st::DType::Float64).to_vector<double>();
  if (static_cast<int64_t>(c.history.train_bits.size()) != c.step ||
      c.history.eval_steps.size() != c.history.eval_bits.size()) {
    throw bad("its history does not match its step " + std::to_string(c.step));
  }
  return c;
}

}  // namespace char_lm
