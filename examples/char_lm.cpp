// char_lm — the main demo (scripts/demo): a character-level pre-LN transformer language model
// whose blocks are ONE scanned stack, trained for a short budget on a text file (by default the
// word list /usr/share/dict/words from Debian's wamerican package).  It reports
//   - the compile cost and the planned peak memory of the training step under three remat
//     policies (save_all, carries_only, nested): the depth never changes the graph, the policy
//     changes what the backward pass keeps;
//   - held-out loss in bits per character, before and after training, with the training text's
//     unigram and bigram entropies as baselines;
//   - a few words sampled from the model (strata::random, deterministic for the seed).
//
//   build/release/examples/char_lm                 # 16 blocks, width 128, 500 steps or 150 s
//   build/release/examples/char_lm --text README.md --layers 4 --width 64
//
// See char_lm_model.h (the model and the jitted steps) and char_lm_data.h (text and windows).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "char_lm_data.h"
#include "char_lm_model.h"

namespace {

using namespace char_lm;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
constexpr double kLn2 = 0.6931471805599453;
constexpr int kTimedSteps = 3;  // per remat policy, after a warm-up step

// ---------------------------------------------------------------- command line
struct Options {
  std::string text = "/usr/share/dict/words";
  int64_t steps = 500;   // stop after this many steps ...
  double seconds = 150;  // ... or this much training time, whichever comes first
  int64_t layers = 16, width = 128, heads = 4, context = 32, batch = 32;
  double learning_rate = 1e-3;
  int64_t seed = 0;
  std::string remat = "save_all";     // the policy the training run uses ...
  st::CheckpointPolicy remat_policy;  // ... parsed
  int64_t samples = 10;
  double temperature = 0.8;
  int64_t eval_windows = 256;  // held-out windows scored (each predicts `context` characters)
};

const char* kUsage = R"(usage: char_lm [options]
Trains a character-level transformer LM (its blocks one scanned stack) on a text file.
  --text FILE          training text, split into lines (default /usr/share/dict/words)
  --steps N            stop after N training steps (default 500)
  --seconds S          ... or after S seconds of training, whichever comes first (default 150)
  --layers L           transformer blocks in the stack (default 16)
  --width D            model width (default 128; the MLP is 4 D wide)
  --heads H            attention heads, dividing D (default 4)
  --context T          characters of context (default 32)
  --batch B            windows per step (default 32)
  --lr X               AdamW learning rate (default 0.001)
  --seed N             seed of the parameters, batches and samples (default 0)
  --remat POLICY       remat policy of the training run: save_all, carries_only, nested
                       (default save_all; all three are compiled and reported)
  --samples N          words to generate (default 10)
  --temperature X      sampling temperature > 0 (default 0.8)
  --eval-windows N     held-out windows to score (default 256)
  --help               this text
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "char_lm: %s\n(char_lm --help lists the options)\n", message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::map<std::string, std::function<void(const std::string&)>> setters;
  auto integer = [](int64_t& field, int64_t min) {
    return [&field, min](const std::string& v) {
      size_t used = 0;
      long long x = 0;
      try {
        x = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || x < min) {
        throw std::invalid_argument("expected an integer >= " + std::to_string(min) + ", found `" +
                                    v + "`");
      }
      field = x;
    };
  };
  auto real = [](double& field, bool positive) {
    return [&field, positive](const std::string& v) {
      size_t used = 0;
      double x = 0;
      try {
        x = std::stod(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || (positive ? !(x > 0) : !(x >= 0))) {
        throw std::invalid_argument(std::string("expected a number ") +
                                    (positive ? "> 0" : ">= 0") + ", found `" + v + "`");
      }
      field = x;
    };
  };
  setters["--text"] = [&](const std::string& v) { o.text = v; };
  setters["--steps"] = integer(o.steps, 1);
  setters["--seconds"] = real(o.seconds, true);
  setters["--layers"] = integer(o.layers, 1);
  setters["--width"] = integer(o.width, 1);
  setters["--heads"] = integer(o.heads, 1);
  setters["--context"] = integer(o.context, 2);
  setters["--batch"] = integer(o.batch, 1);
  setters["--lr"] = real(o.learning_rate, true);
  setters["--seed"] = integer(o.seed, 0);
  setters["--remat"] = [&](const std::string& v) {
    o.remat = v;
    // CheckpointPolicy::parse knows Haliax's names (save_all, recompute / full / carries,
    // nested) but not "carries_only", the name of the policy's constructor and of the table row.
    try {
      o.remat_policy = v == "carries_only" ? st::CheckpointPolicy::carries_only()
                                           : st::CheckpointPolicy::parse(v);
    } catch (const st::Error& e) {
      throw std::invalid_argument(std::string("expected save_all, carries_only or nested: ") +
                                  e.what());
    }
  };
  setters["--samples"] = integer(o.samples, 0);
  setters["--temperature"] = real(o.temperature, true);
  setters["--eval-windows"] = integer(o.eval_windows, 1);

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      usage_error("option `" + arg + "` needs a value");
    }
    const auto it = setters.find(arg);
    if (it == setters.end()) usage_error("unknown option `" + arg + "`");
    try {
      it->second(value);
    } catch (const std::invalid_argument& e) {
      usage_error(arg + ": " + e.what());
    }
  }
  if (o.width % o.heads != 0) {
    usage_error("--heads " + std::to_string(o.heads) + " must divide --width " +
                std::to_string(o.width));
  }
  return o;
}

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

// `count` words sampled one character at a time, all in one batch: each starts after a '\n'
// (a word boundary) and ends at the next '\n' or after context - 1 characters.
std::vector<std::string> generate_words(const CharLM& model, const nn::State& params,
                                        const Corpus& corpus, int64_t count, int64_t context,
                                        double temperature, nn::Rngs& rngs) {
  if (count == 0) return {};
  const auto sample = make_sample_step(model, temperature);
  const int32_t newline = corpus.token_of['\n'];
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
      if (!done[gi]) words[gi] += static_cast<char>(corpus.alphabet[static_cast<size_t>(next[gi])]);
      all_done = all_done && done[gi];
    }
    if (all_done) break;
  }
  return words;
}

int run(const Options& o) {
  const auto program_start = Clock::now();

  // ---- data
  Corpus corpus;
  try {
    corpus = load_corpus(o.text, o.context + 1);
  } catch (const std::runtime_error& e) {
    usage_error(e.what());
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
  nn::Rngs rngs(o.seed, {{"data", o.seed + 1}, {"sample", o.seed + 2}});
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
  const int64_t window = o.context + 1;
  const st::Array example_batch = random_windows(corpus.train, o.batch, window, rngs("data"));

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
    const auto step = make_train_step(with_remat(model, policy), opt);
    const st::CompileStats s = step.lower(params, opt_state, example_batch).compile().stats();
    if (save_all_peak == 0) save_all_peak = s.planned_peak_bytes;
    step(params, opt_state, example_batch);  // jit's own compile, and the first run
    const auto start = Clock::now();
    for (int i = 0; i < kTimedSteps; ++i) step(params, opt_state, example_batch);
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

  // ---- held-out windows, scored before and after training
  const st::Array held_out = eval_windows(corpus.held_out, window, o.eval_windows);
  const auto eval = make_eval_step(model);
  const int64_t eval_chunk = std::min(o.batch, held_out.shape(0));
  const double bits_before = held_out_bits(eval, params, held_out, eval_chunk);

  // ---- train
  std::printf("\ntraining with remat %s for %lld steps or %.0f s, AdamW lr %g:\n", o.remat.c_str(),
              static_cast<long long>(o.steps), o.seconds, o.learning_rate);
  const auto train_step = make_train_step(with_remat(model, o.remat_policy), opt);
  ProgressBar bar;
  const auto train_start = Clock::now();
  double first_step_seconds = 0, smoothed_bits = 0;
  int64_t step = 0;
  while (step < o.steps && seconds_since(train_start) < o.seconds) {
    const st::Array batch =
        step == 0 ? example_batch : random_windows(corpus.train, o.batch, window, rngs("data"));
    st::Array loss;
    std::tie(params, opt_state, loss) = train_step(params, opt_state, batch);
    const double bits = static_cast<double>(loss.item<float>()) / kLn2;
    smoothed_bits = step == 0 ? bits : 0.9 * smoothed_bits + 0.1 * bits;
    if (step == 0) first_step_seconds = seconds_since(train_start);
    ++step;
    const double elapsed = seconds_since(train_start);
    const double per_step =
        step > 1 ? (elapsed - first_step_seconds) / static_cast<double>(step - 1) : elapsed;
    char text[128];
    std::snprintf(text, sizeof text, "step %lld  train %.2f bits/char  %.2f s/step",
                  static_cast<long long>(step), smoothed_bits, per_step);
    bar.update(
        std::max(static_cast<double>(step) / static_cast<double>(o.steps), elapsed / o.seconds),
        text);
  }
  bar.finish();
  const double train_seconds = seconds_since(train_start);
  const double step_seconds =
      step > 1 ? (train_seconds - first_step_seconds) / static_cast<double>(step - 1) : 0;
  std::printf(
      "%lld steps in %.1f s: first step %.2f s (trace + compile + run), then %.3f s/step "
      "(%.0f characters/s); the train step was compiled %zu time(s)\n",
      static_cast<long long>(step), train_seconds, first_step_seconds, step_seconds,
      step_seconds > 0 ? static_cast<double>(o.batch * o.context) / step_seconds : 0.0,
      train_step.cache_size());

  // ---- results
  const double bits_after = held_out_bits(eval, params, held_out, eval_chunk);
  std::printf(
      "\nheld-out loss (%lld windows, %lld characters): %.3f bits/char before training, "
      "%.3f bits/char after\n(baselines, entropies of the training text: unigram %.3f, bigram "
      "%.3f bits/char)\n",
      static_cast<long long>(held_out.shape(0)),
      static_cast<long long>(held_out.shape(0) * o.context), bits_before, bits_after,
      corpus.unigram_bits(), corpus.bigram_bits());

  const std::vector<std::string> words =
      generate_words(model, params, corpus, o.samples, o.context, o.temperature, rngs);
  if (!words.empty()) {
    // One line when they are single words (the word list), else one sample per line.
    const bool one_line = std::none_of(words.begin(), words.end(), [](const std::string& w) {
      return w.find(' ') != std::string::npos;
    });
    std::printf("generated words (temperature %.2f; * = a line of the training text):\n",
                o.temperature);
    for (size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      std::printf("%s%s%s", i == 0 || !one_line ? "  " : " ",
                  w.empty() ? "(empty)" : printable(w).c_str(),
                  corpus.train_lines.count(w) ? "*" : "");
      if (!one_line || i + 1 == words.size()) std::printf("\n");
    }
  }
  std::printf("total %.1f s\n", seconds_since(program_start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  try {
    return run(options);
  } catch (const st::Error& e) {
    std::fprintf(stderr, "char_lm: strata error: %s\n", e.what());
    return 1;
  }
}
