// The flags of inject, finetune and evaluate, bound to their options structs in one place,
// so `porkit attack` accepts in each config section exactly the flags of that command.
#pragma once
#include <CLI/CLI.hpp>

#include "porkit/attack/evaluate.h"
#include "porkit/attack/inject.h"
#include "porkit/train/finetune.h"

namespace porkit::cli {

// Flags whose values need resolving after parsing (presets, comma lists) live here too.
struct InjectFlags {
  attack::InjectOptions options = attack::authors_inject_preset();
  std::string preset = "authors", triggers, triggers_file, weights = "1,100,100", position = "random";
};
struct FinetuneFlags {
  train::FinetuneOptions options = train::authors_finetune_preset();
  std::string preset = "authors";
};
struct EvaluateFlags {
  attack::EvaluateOptions options;
  std::string triggers;
};

// `standalone` adds the flags a pipeline sets itself (--model, --out, inputs).
void add_inject_flags(CLI::App& cmd, InjectFlags& f, bool standalone);
void add_finetune_flags(CLI::App& cmd, FinetuneFlags& f, bool standalone);
void add_evaluate_flags(CLI::App& cmd, EvaluateFlags& f, bool standalone);

// Applies presets and parses the list flags; call after parsing.
void resolve_inject_flags(const CLI::App& cmd, InjectFlags& f, bool need_triggers);
void resolve_finetune_flags(const CLI::App& cmd, FinetuneFlags& f);
void resolve_evaluate_flags(EvaluateFlags& f);

std::vector<std::string> split_commas(const std::string& s);

}  // namespace porkit::cli
