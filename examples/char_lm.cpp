// char_lm — the main demo (scripts/demo): a character-level pre-LN transformer language model
// whose blocks are ONE scanned stack, trained for a short budget on a text file (by default the
// word list /usr/share/dict/words from Debian's wamerican package).  It reports
//   - the compile cost and the planned peak memory of the training step under three remat
//     policies (save_all, carries_only, nested): the depth never changes the graph, the policy
//     changes what the backward pass keeps;
//   - held-out loss in bits per character, before and after training, with the training text's
//     unigram and bigram entropies as baselines;
//   - a few words sampled from the model (strata::random, deterministic for the seed).
// With --save DIR it checkpoints the run (parameters, optimiser state, random streams, losses) and
// draws its loss curve; --resume DIR continues a run bit for bit as if it had never stopped, and
// --sample-from DIR generates words from a saved model.
//
//   build/release/examples/char_lm                 # 16 blocks, width 128, 500 steps or 150 s
//   build/release/examples/char_lm --text README.md --layers 4 --width 64
//   build/release/examples/char_lm --save run1 --steps 250      # then, later:
//   build/release/examples/char_lm --resume run1 --steps 500    # steps 251..500
//
// See char_lm_model.h (the model and the jitted steps), char_lm_data.h (text and windows),
// char_lm_options.h (the command line) and char_lm_checkpoint.h (the checkpoint file, its loss
// table and curve, drawn by char_lm_plot.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "char_lm_checkpoint.h"
#include "char_lm_data.h"
#include "char_lm_model.h"
#include "char_lm_options.h"

namespace {

using namespace char_lm;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
constexpr int kTimedSteps = 3;  // per remat policy, after a warm-up step

// ---------------------------------------------------------------- progress bar
// Redrawn in place on a terminal; elsewhere (a log, ctest) one line per tenth of the budget.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDOUT_FILENO) != 0) {}
  void update(double fraction, const std::string& text) {
    fraction = std::min(1.0, fraction);
    if (!tty_) {
      if (fraction < next_line_ && fraction < 1.0) return;
      next_line_ = fraction + 0.1;
    }
    const int width = 30, filled = static_cast<int>(fraction * width);
    std::printf("%s[%s%s] %3.0f%%  %s%s", tty_ ? "\r" : "  ", std::string(filled, '#').c_str(),
                std::string(width - filled, '.').c_str(), fraction * 100, text.c_str(),
                tty_ ? "\033[K" : "\n");
    std::fflush(stdout);
  }
  void finish() {
    if (tty_) std::printf("\n");
  }

 private:
  bool tty_;
  double next_line_ = 0;
};

std::string format_bytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / (1 << 10));
  }
  return buf;
}

// s with '?' for each byte that is a control character or not part of a well-formed UTF-8
// sequence: sampled bytes need not make whole characters.
std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    const size_t n = b < 0x80           ? 1
                     : (b >> 5) == 0x6  ? 2
                     : (b >> 4) == 0xE  ? 3
                     : (b >> 3) == 0x1E ? 4
                                        : 0;
    bool ok = n > 0 && i + n <= s.size() && !(n == 1 && (b < 0x20 || b == 0x7F));
    for (size_t k = 1; ok && k < n; ++k) ok = (byte(i + k) >> 6) == 0x2;
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// Prints the words, marking with * those that are lines of the training text (when `seen` is
// given).
void print_words(const std::vector<std::string>& words, double temperature,
                 const std::unordered_set<std::string>* seen) {
  if (words.empty()) return;
  // One line when they are single words (the word list), else one sample per line.
  const bool one_line = std::none_of(words.begin(), words.end(), [](const std::string& w) {
    return w.find(' ') != std::string::npos;
  });
  std::printf("generated words (temperature %.2f%s):\n", temperature,
              seen ? "; * = a line of the training text" : "");
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    std::printf("%s%s%s", i == 0 || !one_line ? "  " : " ",
                w.empty() ? "(empty)" : printable(w).c_str(), seen && seen->count(w) ? "*" : "");
    if (!one_line || i + 1 == words.size()) std::printf("\n");
  }
}

// ---------------------------------------------------------------- checkpoints
// The streams: "default" initialises the parameters, "data" draws the training batches, "sample"
// the generated words.  A checkpoint saves all three, so a resumed run draws what an
// uninterrupted one would have.
nn::Rngs make_rngs(int64_t seed) {
  return nn::Rngs(seed, {{"data", seed + 1}, {"sample", seed + 2}});
}

// The text's identity as a checkpoint records it: size and hash of its bytes.
std::map<std::string, std::string> text_identity(const std::string& path) {
  const auto [hash, bytes] = fnv1a64_of_file(path);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return {{"text-bytes", std::to_string(bytes)}, {"text-fnv1a64", hex}};
}

// --sample-from DIR: words from a saved model, no training.  The alphabet comes from the
// checkpoint; the training text, when still there, only marks the words it contains.
int sample_from(Options o) {
  const Checkpoint c = open_checkpoint("--sample-from", o.sample_from);
  adopt_settings(o, c, o.sample_from);
  std::vector<unsigned char> alphabet;
  try {
    alphabet = from_hex(c.metadata.at("alphabet"));
  } catch (const std::exception&) {
    std::fprintf(stderr, "char_lm: %s: the checkpoint's metadata has no valid alphabet\n",
                 o.sample_from.c_str());
    return 1;
  }
  const ModelConfig config{static_cast<int64_t>(alphabet.size()), o.context, o.layers, o.width,
                           o.heads};
  nn::Rngs rngs = make_rngs(o.seed);
  const CharLM model(config, rngs);
  const nn::State params = nn::split(nn::load_state_dict(model, c.params)).first;
  rngs = nn::load_tree_state(rngs, c.rngs);
  std::printf(
      "model: %lld pre-LN blocks (width %lld, %lld heads), context %lld, from %s at step "
      "%lld (held-out %.3f bits/char)\n",
      static_cast<long long>(o.layers), static_cast<long long>(o.width),
      static_cast<long long>(o.heads), static_cast<long long>(o.context), o.sample_from.c_str(),
      static_cast<long long>(c.step),
      c.history.eval_bits.empty() ? 0.0 : c.history.eval_bits.back());
  std::optional<Corpus> corpus;
  try {
    const auto identity = text_identity(o.text);
    if (identity.at("text-fnv1a64") == c.metadata.at("text-fnv1a64")) {
      corpus = load_corpus(o.text, o.context + 1);
    }
  } catch (const std::exception&) {
  }
  if (!corpus) std::printf("(the training text %s is gone or changed)\n", o.text.c_str());
  print_words(generate_words(model, params, alphabet, o.samples, o.context, o.temperature, rngs),
              o.temperature, corpus ? &corpus->train_lines : nullptr);
  return 0;
}

volatile std::sig_atomic_t g_interrupted = 0;
// Ctrl-C while saving: finish the step, save, stop.  A second Ctrl-C kills as usual.
void on_interrupt(int) {
  g_interrupted = 1;
  std::signal(SIGINT, SIG_DFL);
}

int run(Options o) {
  const auto program_start = Clock::now();

  // ---- a run to continue: its checkpoint decides the settings
  std::optional<Checkpoint> resumed;
  if (!o.resume_dir.empty()) {
    resumed = open_checkpoint("--resume", o.resume_dir);
    adopt_settings(o, *resumed, o.resume_dir);
    if (o.save_dir.empty()) o.save_dir = o.resume_dir;
  }
  // Never overwrite another run's checkpoint.
  if (!o.save_dir.empty() && has_checkpoint(o.save_dir) &&
      (o.resume_dir.empty() || !std::filesystem::equivalent(o.save_dir, o.resume_dir))) {
    usage_error("--save " + o.save_dir +
                " already holds a checkpoint: pass --resume to continue it, or another "
                "directory");
  }

  // ---- data
  Corpus corpus;
  std::map<std::string, std::string> metadata = run_settings(o);
  try {
    corpus = load_corpus(o.text, o.context + 1);
    metadata.merge(text_identity(o.text));
  } catch (const std::runtime_error& e) {
    usage_error(e.what());
  }
  metadata["alphabet"] = to_hex(corpus.alphabet);
  if (resumed) {
    for (const char* key : {"text-bytes", "text-fnv1a64"}) {
      if (metadata[key] != resumed->metadata[key]) {
        usage_error("--text " + o.text + " is not the text the checkpoint in " + o.resume_dir +
                    " was trained on (" + resumed->metadata["text"] + ": " +
                    resumed->metadata["text-bytes"] + " bytes, FNV-1a " +
                    resumed->metadata["text-fnv1a64"] + "; this one: " + metadata["text-bytes"] +
                    " bytes, " + metadata["text-fnv1a64"] + ")");
      }
    }
  }
  std::printf("strata char_lm (%d threads)\n", st::num_threads());
  std::printf(
      "text: %s: %lld lines (%lld held out: 1 in %lld, in a fixed random order), vocabulary "
      "%lld bytes; %zu training / %zu held-out characters\n",
      o.text.c_str(), static_cast<long long>(corpus.num_lines),
      static_cast<long long>(corpus.num_held_out_lines), static_cast<long long>(kHeldOutEvery),
      static_cast<long long>(corpus.vocab_size()), corpus.train.size(), corpus.held_out.size());

  // ---- model: the L blocks are one stacked module
  const ModelConfig config{corpus.vocab_size(), o.context, o.layers, o.width, o.heads};
  nn::Rngs rngs = make_rngs(o.seed);
  const CharLM model(config, rngs);
  nn::State params = nn::split(model).first;
  std::printf(
      "model: %lld pre-LN blocks (width %lld, %lld heads, MLP %lld), context %lld: %lld "
      "parameters; the blocks are one stack, e.g. blocks.layers.mlp.fc1.kernel %s\n",
      static_cast<long long>(o.layers), static_cast<long long>(o.width),
      static_cast<long long>(o.heads), static_cast<long long>(4 * o.width),
      static_cast<long long>(o.context), static_cast<long long>(nn::count_params(model)),
      st::to_string(model.blocks.layers.mlp.fc1.kernel.shape()).c_str());

  const Optimizer opt = make_optimizer(o.learning_rate);
  OptState opt_state = opt.init(params);
  int64_t step = 0;
  History history;
  if (resumed) {
    // Strict loads: a key, shape or dtype that differs is an error listing them all.
    params = nn::split(nn::load_state_dict(model, resumed->params)).first;
    opt_state = nn::load_tree_state(opt_state, resumed->opt_state);
    rngs = nn::load_tree_state(rngs, resumed->rngs);
    step = resumed->step;
    history = resumed->history;
    std::printf("resumed from %s at step %lld\n", o.resume_dir.c_str(),
                static_cast<long long>(step));
  }
  const int64_t window = o.context + 1;
  // The next training batch, drawn from a copy of the streams: the compile table below runs on
  // it without moving the data position.
  nn::Rngs peek = rngs;
  const st::Array example_batch = random_windows(corpus.train, o.batch, window, peek("data"));

  // ---- the training step under each remat policy: its CompileStats (trace and compile time,
  // graph size, planned peak = the working memory of the compiled step, parameters, optimiser
  // state and batch excluded), then a few timed steps whose results are thrown away.
  std::printf(
      "\ntraining step (batch %lld x %lld characters) per remat policy of the block scan:\n",
      static_cast<long long>(o.batch), static_cast<long long>(o.context));
  std::printf("  %-13s %8s %10s %6s  %-31s %7s\n", "remat policy", "trace ms", "compile ms", "ops",
              "planned peak (vs save_all)", "s/step");
  const std::vector<std::pair<const char*, st::CheckpointPolicy>> policies = {
      {"save_all", st::CheckpointPolicy::save_all()},
      {"carries_only", st::CheckpointPolicy::carries_only()},
      {"nested", st::CheckpointPolicy::nested()}};
  int64_t save_all_peak = 0;
  for (const auto& [name, policy] : policies) {
    const auto policy_step = make_train_step(with_remat(model, policy), opt);
    const st::CompileStats s =
        policy_step.lower(params, opt_state, example_batch).compile().stats();
    if (save_all_peak == 0) save_all_peak = s.planned_peak_bytes;
    policy_step(params, opt_state, example_batch);  // jit's own compile, and the first run
    const auto start = Clock::now();
    for (int i = 0; i < kTimedSteps; ++i) policy_step(params, opt_state, example_batch);
    char peak[64];
    std::snprintf(peak, sizeof peak, "%s (%lld B) %.2fx",
                  format_bytes(s.planned_peak_bytes).c_str(),
                  static_cast<long long>(s.planned_peak_bytes),
                  static_cast<double>(s.planned_peak_bytes) /
                      static_cast<double>(std::max<int64_t>(save_all_peak, 1)));
    std::printf("  %-13s %8.1f %10.1f %6lld  %-31s %7.3f\n", name, s.trace_seconds * 1e3,
                s.compile_seconds * 1e3, static_cast<long long>(s.num_ops_total), peak,
                seconds_since(start) / kTimedSteps);
  }

  // ---- held-out windows, scored every --eval-every steps
  const st::Array held_out = eval_windows(corpus.held_out, window, o.eval_windows);
  const auto eval = make_eval_step(model);
  const int64_t eval_chunk = std::min(o.batch, held_out.shape(0));
  const auto evaluate = [&] {
    history.eval_steps.push_back(step);
    history.eval_bits.push_back(held_out_bits(eval, params, held_out, eval_chunk));
    return history.eval_bits.back();
  };
  // A resumed run's starting point is scored but not recorded: an uninterrupted run may not
  // have scored that step.
  const double bits_start =
      resumed ? held_out_bits(eval, params, held_out, eval_chunk) : evaluate();

  // ---- checkpoints
  const bool saving = !o.save_dir.empty();
  int64_t saved_step = resumed ? step : -1;
  double side_seconds = 0;  // evaluating and saving, not counted in the time per step
  const auto save = [&] {
    const auto start = Clock::now();
    const std::string title = "char_lm: " + std::to_string(o.layers) + " blocks, width " +
                              std::to_string(o.width) + ", on " +
                              std::filesystem::path(o.text).filename().string();
    save_checkpoint(o.save_dir,
                    {step, metadata, nn::state_dict(nn::merge(model, params)),
                     nn::tree_state(opt_state), nn::tree_state(rngs), history},
                    title);
    saved_step = step;
    side_seconds += seconds_since(start);
  };
  if (saving) std::signal(SIGINT, on_interrupt);

  // ---- train: --steps is the run's total, counting the steps before a resume
  const int64_t first_step = step;
  const std::string range =
      !resumed ? ""
      : first_step < o.steps
          ? " (from step " + std::to_string(first_step) + " to " + std::to_string(o.steps) + ")"
          : " (the checkpoint is at step " + std::to_string(first_step) +
                ": raise --steps, the run's total, to train on)";
  std::printf("\ntraining with remat %s for %lld steps or %.0f s, AdamW lr %g%s:\n",
              o.remat.c_str(), static_cast<long long>(std::max<int64_t>(0, o.steps - first_step)),
              o.seconds, o.learning_rate, range.c_str());
  const auto train_step = make_train_step(with_remat(model, o.remat_policy), opt);
  ProgressBar bar;
  const auto train_start = Clock::now();
  double first_step_seconds = 0, smoothed_bits = 0;
  for (size_t i = 0; i < history.train_bits.size(); ++i) {  // the moving average goes on
    smoothed_bits =
        i == 0 ? history.train_bits[i] : 0.9 * smoothed_bits + 0.1 * history.train_bits[i];
  }
  while (step < o.steps && seconds_since(train_start) < o.seconds && !g_interrupted) {
    const st::Array batch = random_windows(corpus.train, o.batch, window, rngs("data"));
    st::Array loss;
    std::tie(params, opt_state, loss) = train_step(params, opt_state, batch);
    const double bits = static_cast<double>(loss.item<float>()) / kLn2;
    smoothed_bits = step == 0 ? bits : 0.9 * smoothed_bits + 0.1 * bits;
    history.train_bits.push_back(bits);
    if (step == first_step) first_step_seconds = seconds_since(train_start);
    ++step;
    // Every K steps, and at steps 1, 2, 4, 8, ... below K, where the loss falls fastest: a
    // function of the step alone, so a resumed run scores the steps an uninterrupted one does.
    if (step % o.eval_every == 0 || (step < o.eval_every && (step & (step - 1)) == 0)) {
      const auto start = Clock::now();
      evaluate();
      side_seconds += seconds_since(start);
    }
    if (saving && step % o.save_every == 0) save();
    const double elapsed = seconds_since(train_start);
    const int64_t done = step - first_step;
    const double per_step =
        done > 1 ? (elapsed - side_seconds - first_step_seconds) / static_cast<double>(done - 1)
                 : elapsed;
    char text[128];
    std::snprintf(text, sizeof text, "step %lld  train %.2f bits/char  %.2f s/step",
                  static_cast<long long>(step), smoothed_bits, per_step);
    bar.update(
        std::max(static_cast<double>(step) / static_cast<double>(o.steps), elapsed / o.seconds),
        text);
  }
  bar.finish();
  const int64_t done = step - first_step;
  const double train_seconds = seconds_since(train_start);
  const double step_seconds =
      done > 1 ? (train_seconds - side_seconds - first_step_seconds) / static_cast<double>(done - 1)
               : 0;
  if (g_interrupted) {
    std::printf("interrupted: stopping at step %lld\n", static_cast<long long>(step));
  }
  std::printf(
      "%lld steps in %.1f s: first step %.2f s (trace + compile + run), then %.3f s/step "
      "(%.0f characters/s); the train step was compiled %zu time(s)\n",
      static_cast<long long>(done), train_seconds, first_step_seconds, step_seconds,
      step_seconds > 0 ? static_cast<double>(o.batch * o.context) / step_seconds : 0.0,
      train_step.cache_size());

  // ---- results
  const double bits_end = !history.eval_steps.empty() && history.eval_steps.back() == step
                              ? history.eval_bits.back()
                          : done > 0 ? evaluate()
                                     : bits_start;
  if (saving && step != saved_step) save();
  std::printf("\nheld-out loss (%lld windows, %lld characters): ",
              static_cast<long long>(held_out.shape(0)),
              static_cast<long long>(held_out.shape(0) * o.context));
  if (resumed) {
    std::printf("%.3f bits/char at step %lld (the checkpoint), %.3f bits/char after step %lld\n",
                bits_start, static_cast<long long>(first_step), bits_end,
                static_cast<long long>(step));
  } else {
    std::printf("%.3f bits/char before training, %.3f bits/char after\n", bits_start, bits_end);
  }
  std::printf("(baselines, entropies of the training text: unigram %.3f, bigram %.3f bits/char)\n",
              corpus.unigram_bits(), corpus.bigram_bits());
  if (saving) {
    std::printf("checkpoint: %s/%s at step %lld, with loss.csv and loss.svg\n", o.save_dir.c_str(),
                kCheckpointFile, static_cast<long long>(saved_step));
  }

  // Sampling comes after the last save, so a resumed run samples what an uninterrupted one does.
  print_words(
      generate_words(model, params, corpus.alphabet, o.samples, o.context, o.temperature, rngs),
      o.temperature, &corpus.train_lines);
  std::printf("total %.1f s\n", seconds_since(program_start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  try {
    return options.sample_from.empty() ? run(options) : sample_from(options);
  } catch (const st::Error& e) {
    std::fprintf(stderr, "char_lm: strata error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {  // e.g. a checkpoint directory that cannot be written
    std::fprintf(stderr, "char_lm: %s\n", e.what());
    return 1;
  }
}
