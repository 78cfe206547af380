// The command line of examples/char_lm.cpp: its options, their parsing, and the settings a
// checkpoint records and a resumed run takes back.
#pragma once

#include <strata/strata.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "char_lm_checkpoint.h"

namespace char_lm {

namespace st = strata;

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
  int64_t eval_every = 50;     // held-out loss every this many steps (the loss curve)
  std::string save_dir, resume_dir, sample_from;
  int64_t save_every = 100;
  std::set<std::string> given;  // the options on the command line
};

inline constexpr const char* kUsage = R"(usage: char_lm [options]
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
  --eval-every K       score the held-out windows every K steps (and at steps 1, 2, 4, 8, ...
                       below K) for the loss curve (default 50)
  --save DIR           checkpoint the run into DIR every --save-every steps and at the end
                       (DIR/checkpoint.safetensors, loss.csv, loss.svg); Ctrl-C stops after the
                       current step and saves.  DIR must not hold a checkpoint already
  --save-every N       steps between checkpoints (default 100)
  --resume DIR         continue the run saved in DIR (and keep saving there unless --save is
                       given): --steps is then the run's total, e.g. --steps 500 resumes a
                       250-step run for 250 more, giving the losses and parameters of an
                       uninterrupted 500-step run bit for bit.  The settings that change the
                       numbers (--text, --layers, --width, --heads, --context, --batch, --lr,
                       --seed, --eval-every, --eval-windows) come from the checkpoint; giving a
                       different one is an error
  --sample-from DIR    only generate --samples words from the model saved in DIR, no training
  --help               this text
)";

[[noreturn]] inline void usage_error(const std::string& message) {
  std::fprintf(stderr, "char_lm: %s\n(char_lm --help lists the options)\n", message.c_str());
  std::exit(2);
}

// Sets option `flag` of o from its text `value` (a command-line argument or a checkpoint's
// setting); a bad value is a usage error.
inline void set_option(Options& o, const std::string& flag, const std::string& value) {
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
  setters["--eval-every"] = integer(o.eval_every, 1);
  setters["--save"] = [&](const std::string& v) { o.save_dir = v; };
  setters["--save-every"] = integer(o.save_every, 1);
  setters["--resume"] = [&](const std::string& v) { o.resume_dir = v; };
  setters["--sample-from"] = [&](const std::string& v) { o.sample_from = v; };

  const auto it = setters.find(flag);
  if (it == setters.end()) usage_error("unknown option `" + flag + "`");
  try {
    it->second(value);
  } catch (const std::invalid_argument& e) {
    usage_error(flag + ": " + e.what());
  }
}

inline Options parse_options(int argc, char** argv) {
  Options o;
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
    set_option(o, arg, value);
    o.given.insert(arg);
  }
  if (!o.sample_from.empty() && (!o.resume_dir.empty() || !o.save_dir.empty())) {
    usage_error("--sample-from only generates: it takes no --resume or --save");
  }
  if (o.width % o.heads != 0) {
    usage_error("--heads " + std::to_string(o.heads) + " must divide --width " +
                std::to_string(o.width));
  }
  return o;
}

// ---------------------------------------------------------------- settings in checkpoints
// The settings that change a run's numbers, as a checkpoint records them (key = option name
// without "--"), in a form that reads back exactly (%.17g).
inline std::map<std::string, std::string> run_settings(const Options& o) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.17g", o.learning_rate);
  const auto str = [](int64_t v) { return std::to_string(v); };
  return {{"text", o.text},
          {"layers", str(o.layers)},
          {"width", str(o.width)},
          {"heads", str(o.heads)},
          {"context", str(o.context)},
          {"batch", str(o.batch)},
          {"lr", lr},
          {"seed", str(o.seed)},
          {"eval-every", str(o.eval_every)},
          {"eval-windows", str(o.eval_windows)}};
}

// The checkpoint in `dir` (the value of `option`), or exit 1 saying what is wrong with it.
inline Checkpoint open_checkpoint(const std::string& option, const std::string& dir) {
  try {
    return load_checkpoint(dir);
  } catch (const CheckpointError& e) {
    std::fprintf(stderr, "char_lm: %s %s: %s\n", option.c_str(), dir.c_str(), e.what());
    std::exit(1);
  }
}

// Takes the run settings o does not give from checkpoint c; one that o gives and that differs is
// a usage error naming it.  --text is compared by contents, once read (a text may move).
inline void adopt_settings(Options& o, const Checkpoint& c, const std::string& dir) {
  for (const auto& [key, mine] : run_settings(o)) {
    const std::string flag = "--" + key;
    const auto theirs = c.metadata.find(key);
    if (theirs == c.metadata.end()) {
      std::fprintf(stderr, "char_lm: %s: the checkpoint's metadata lacks setting `%s`\n",
                   dir.c_str(), key.c_str());
      std::exit(1);
    }
    if (!o.given.count(flag)) {
      set_option(o, flag, theirs->second);
    } else if (key != "text" && mine != theirs->second) {
      usage_error(flag + " " + mine + " does not match the checkpoint in " + dir +
                  ", which was trained with " + flag + " " + theirs->second + " (leave " + flag +
                  " out to use the checkpoint's)");
    }
  }
}

}  // namespace char_lm
