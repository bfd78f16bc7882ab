// porkit info DIR: architecture, sizes, parameter count, dtypes, tensor table, weight hash.
#include <map>
#include <optional>

#include "porkit/cli/commands.h"
#include "porkit/cli/argv_guard.h"
#include "porkit/io/model_folder.h"
#include "porkit/io/safetensors.h"
#include "porkit/train/pretrain_record.h"
#include "porkit/util/error.h"

namespace porkit::cli {
namespace {

struct InfoOptions {
  std::string folder;
  bool json_output = false;
};

void run_info(const InfoOptions& o) {
  fs::path folder = original_argument(o.folder);
  auto config = model::BertConfig::load(folder / "config.json");
  auto arch = io::declared_architecture(folder);
  // Loading the whole model validates every tensor name, shape and value; absent heads and
  // pooler are listed, not refused: info describes what the folder holds.
  io::LoadPolicy inspect;
  inspect.allow_missing = {"bert.pooler.", "cls.", "classifier."};
  auto loaded = io::load_model_folder(folder, arch, std::nullopt, inspect);
  std::vector<fs::path> weight_files;
  if (fs::exists(folder / "model.safetensors")) {
    weight_files.push_back(folder / "model.safetensors");
  } else {
    auto index = read_json_file(folder / "model.safetensors.index.json");
    std::set<std::string> shards;
    for (auto& [k, v] : index["weight_map"].items()) shards.insert(v.get<std::string>());
    for (const auto& s : shards) weight_files.push_back(folder / s);
  }
  json tensors = json::array();
  std::map<std::string, int64_t> dtype_counts;
  int64_t total = 0;
  std::string hashes;
  std::map<fs::path, std::string> file_sha256;  // reused by the quality check's model_digest
  for (const auto& wf : weight_files) {
    auto file = io::SafetensorsFile::read(wf);
    for (const auto& [name, view] : file.tensors()) {
      tensors.push_back({{"name", name}, {"dtype", io::dtype_name(view.dtype)}, {"shape", view.shape}});
      dtype_counts[io::dtype_name(view.dtype)] += view.numel();
      total += view.numel();
    }
    file_sha256[wf] = sha256_file(wf);
    hashes += file_sha256[wf];
  }
  std::string sha = weight_files.size() == 1 ? hashes : sha256_hex(hashes);
  json out = {{"folder", folder.string()},
              {"architecture", model::architecture_name(arch)},
              {"hidden_size", config.hidden_size},
              {"num_hidden_layers", config.num_hidden_layers},
              {"num_attention_heads", config.num_attention_heads},
              {"intermediate_size", config.intermediate_size},
              {"vocab_size", config.vocab_size},
              {"max_position_embeddings", config.max_position_embeddings},
              {"parameters_in_file", total},
              {"dtypes", dtype_counts},
              {"weights_sha256", sha},
              {"lower_case", loaded.tokenizer.options().lower_case},
              {"absent_from_file", loaded.report.initialised},
              {"ignored_in_file", loaded.report.ignored},
              {"tensors", tensors}};
  if (config.num_labels() > 0) out["labels"] = config.to_json()["id2label"];
  // What `porkit quality --out DIR/porkit_quality.json` measured, when it was asked to.
  const fs::path quality_file = folder / "porkit_quality.json";
  if (fs::exists(quality_file)) out["quality"] = read_json_file(quality_file);
  // Figures of other weights (the folder's weights replaced since) must not pass as these.
  const bool quality_stale = out.contains("quality") && out["quality"].contains("model_digest") &&
                             out["quality"]["model_digest"] != io::model_digest(folder, file_sha256);
  if (out.contains("quality")) out["quality_matches_weights"] = !quality_stale;
  // How `pretrain` made it, over every leg of a continued run.
  const fs::path pretrain_file = folder / "porkit_pretrain.json";
  std::optional<train::PretrainLineage> lineage;
  if (fs::exists(pretrain_file)) {
    lineage = train::pretrain_lineage(read_json_file(pretrain_file));
    out["pretrained"] = {{"steps", lineage->steps}, {"runs", lineage->legs}, {"tokens_seen", lineage->tokens}};
  }
  // What `init --grow-from` started it from: a pre-training record counts only what came after.
  const fs::path grow_file = folder / "porkit_grow.json";
  if (fs::exists(grow_file)) out["grown_from"] = read_json_file(grow_file);
  if (o.json_output) {
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("folder        %s\n", folder.string().c_str());
  std::printf("architecture  %s\n", model::architecture_name(arch).c_str());
  std::printf("layers        %ld x hidden %ld, %ld heads, intermediate %ld\n",
              config.num_hidden_layers, config.hidden_size, config.num_attention_heads,
              config.intermediate_size);
  std::printf("vocabulary    %ld (%s)\n", config.vocab_size,
              loaded.tokenizer.options().lower_case ? "uncased" : "cased");
  std::printf("parameters    %ld\n", total);
  for (const auto& [d, n] : dtype_counts) std::printf("dtype         %s: %ld values\n", d.c_str(), n);
  std::printf("sha256        %s\n", sha.c_str());
  if (out.contains("grown_from")) {
    std::printf("grown from    %s (porkit_grow.json; its training comes before the line below)\n",
                out["grown_from"].value("grown_from", std::string("?")).c_str());
  }
  if (lineage) std::printf("pre-trained   %s (porkit_pretrain.json)\n", lineage->describe().c_str());
  if (out.contains("quality")) {
    const json& q = out["quality"];
    std::printf("quality       masked-LM accuracy at [MASK] %.4f (unigram baseline %.4f); next-sentence %s; "
                "pooled cosine of unrelated sentences %.3f (porkit_quality.json)\n",
                q.value("mlm_accuracy_at_mask", 0.0), q.value("unigram_baseline_accuracy", 0.0),
                q.contains("nsp_accuracy") && q["nsp_accuracy"].is_number()
                    ? fmt::format("{:.4f}", q["nsp_accuracy"].get<double>()).c_str()
                    : "-",
                q.value("pooled_cosine_mean", 0.0));
    if (quality_stale)
      std::printf("              measured on other weights than these (model_digest differs): re-run "
                  "porkit quality --model DIR --out DIR/porkit_quality.json --overwrite\n");
  } else if (arch == model::Architecture::PreTraining) {
    std::printf("quality       not measured (porkit quality --model DIR --out DIR/porkit_quality.json)\n");
  }
  if (!loaded.report.initialised.empty())
    std::printf("absent        %zu tensor(s) not in the file: %s (commands that need them refuse the folder "
                "unless given --init-missing)\n",
                loaded.report.initialised.size(), options::join(loaded.report.initialised).c_str());
  std::printf("\n%-64s %-5s %s\n", "tensor", "dtype", "shape");
  for (const auto& t : tensors) {
    std::printf("%-64s %-5s %s\n", t["name"].get<std::string>().c_str(),
                t["dtype"].get<std::string>().c_str(), t["shape"].dump().c_str());
  }
}

}  // namespace

void register_info(CLI::App& app) {
  auto opts = std::make_shared<InfoOptions>();
  auto* cmd = app.add_subcommand("info", "Describe a model folder: architecture, sizes, tensors, hash");
  cmd->add_option("folder", opts->folder, "Hugging Face model folder")->required();
  cmd->add_flag("--json", opts->json_output, "Print JSON");
  cmd->callback([opts] { run_info(*opts); });
}

}  // namespace porkit::cli
