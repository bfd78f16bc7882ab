#include "fuzz/targets.h"

#include <nlohmann/json.hpp>

#include "porkit/attack/inject.h"
#include "porkit/attack/results.h"
#include "porkit/cli/config_file.h"
#include "porkit/data/readers.h"
#include "porkit/io/safetensors.h"
#include "porkit/model/bert_config.h"
#include "porkit/report/analysis_report.h"
#include "porkit/report/attack_report.h"
#include "porkit/text/bert_tokenizer.h"
#include "porkit/text/vocab.h"
#include "porkit/train/finetune.h"
#include "porkit/util/error.h"

namespace porkit::fuzz {
namespace {

std::string bytes(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

void safetensors(const uint8_t* data, size_t size) {
  auto file = io::SafetensorsFile::parse(bytes(data, size), "fuzz.safetensors");
  for (const auto& [name, view] : file.tensors()) (void)view.numel();
}

void config_json(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(bytes(data, size), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return;
  auto config = model::BertConfig::from_json(j, "fuzz/config.json");
  (void)config.to_json();
}

void vocab_txt(const uint8_t* data, size_t size) {
  auto v = text::Vocab::parse(bytes(data, size), "fuzz/vocab.txt");
  (void)v.serialize();
}

// The tokenizer over a small fixed vocabulary, with every option flipped by the first byte.
void tokenizer(const uint8_t* data, size_t size) {
  static const text::Vocab vocab = text::Vocab::from_tokens(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b", "the", "##s", "cafe", "!", "\xe4\xb8\xad"});
  if (size == 0) return;
  text::TokenizerOptions o;
  o.lower_case = data[0] & 1;
  if (data[0] & 2) o.strip_accents = (data[0] & 4) != 0;
  o.tokenize_chinese_chars = data[0] & 8;
  o.model_max_length = 3 + (data[0] >> 4);
  const text::BertTokenizer tok(vocab, o);
  const std::string text = bytes(data + 1, size - 1);
  const auto half = text.size() / 2;
  auto e = tok.encode(std::string_view(text).substr(0, half), std::string_view(text).substr(half));
  (void)tok.decode(e.ids);
}

void delimited(const uint8_t* data, size_t size) {
  if (size == 0) return;
  data::DelimitedFormat f;
  f.delimiter = data[0] & 1 ? ',' : '\t';
  f.header = data[0] & 2;
  if (!f.header) f.text_column = "0", f.label_column = data[0] & 4 ? "1" : "2";
  data::ReadOptions o;
  o.skip_bad_rows = data[0] & 8;
  if (data[0] & 16) o.class_names = {"neg", "pos"};
  (void)data::parse_delimited(bytes(data + 1, size - 1), "fuzz.tsv", f, o);
}

void conll(const uint8_t* data, size_t size) { (void)data::parse_conll(bytes(data, size), "fuzz.conll"); }

// A TOML file applied to the option tables of the attack's stages, as an attack config is.
void toml_config(const uint8_t* data, size_t size) {
  const auto j = cli::parse_toml(bytes(data, size), "fuzz.toml");
  attack::InjectOptions inject = attack::quick_inject_preset();
  train::FinetuneOptions finetune = train::authors_finetune_preset();
  if (j.contains("inject") && j["inject"].is_object())
    options::apply_json(attack::inject_option_table(false), inject, j["inject"], "fuzz.toml [inject]");
  if (j.contains("finetune") && j["finetune"].is_object())
    options::apply_json(train::finetune_option_table(false), finetune, j["finetune"], "fuzz.toml [finetune]");
  options::validate(attack::inject_option_table(false), inject, "fuzz");
  options::validate(train::finetune_option_table(false), finetune, "fuzz");
}

// The JSON reports read: summary.json, study.json, attention and embedding-swap analyses.
void report_json(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(bytes(data, size), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return;
  if (j.contains("backdoored")) {
    (void)report::attack_sections(attack::AttackSummary::from_json(j, "fuzz/summary.json"));
  } else if (j.value("kind", "") == "study") {
    (void)attack::StudyResult::from_json(j, "fuzz/study.json").to_json();
  } else if (j.value("kind", "") == "attention") {
    (void)report::analysis_sections(j, "attention");
  }
}

}  // namespace

const std::vector<NamedTarget>& targets() {
  static const std::vector<NamedTarget> all = {
      {"safetensors", safetensors}, {"config_json", config_json}, {"vocab_txt", vocab_txt},
      {"tokenizer", tokenizer},     {"delimited", delimited},     {"conll", conll},
      {"toml_config", toml_config}, {"report_json", report_json}};
  return all;
}

void run_one(Target target, const uint8_t* data, size_t size) {
  try {
    target(data, size);
  } catch (const Error&) {
    // A clear one-line error is the right answer to bad input.
  } catch (const nlohmann::json::exception&) {
    // main() prints these as one line too.
  }
}

}  // namespace porkit::fuzz
