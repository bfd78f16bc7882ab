#include "porkit/attack/backdoor_manifest.h"

#include <cstring>

#include "porkit/util/error.h"
#include "porkit/util/files.h"
#include "porkit/util/record_file.h"

namespace porkit::attack {

std::vector<std::string> BackdoorManifest::trigger_texts() const {
  std::vector<std::string> out;
  for (const auto& t : triggers) out.push_back(t.text);
  return out;
}

at::Tensor BackdoorManifest::por_tensor() const {
  check(!por.empty(), "the backdoor manifest has no POR vectors");
  const int64_t K = static_cast<int64_t>(por.size()), H = static_cast<int64_t>(por[0].size());
  at::Tensor out = at::empty({K, H});  // (K, H)
  for (int64_t k = 0; k < K; ++k)
    std::memcpy(out[k].data_ptr<float>(), por[static_cast<size_t>(k)].data(), sizeof(float) * static_cast<size_t>(H));
  return out;
}

json BackdoorManifest::to_json() const {
  json trigger_rows = json::array();
  for (const auto& t : triggers) trigger_rows.push_back({{"trigger", t.text}, {"pieces", t.pieces}, {"ids", t.ids}});
  return {{"format", kFormat},
          {"porkit_version", porkit_version},
          {"attack", attack},
          {"attack_kind", options::enum_name(objective.attack)},
          {"triggers", trigger_rows},
          {"por", {{"scheme", por_scheme}, {"scale", por_scale}, {"vectors", por}}},
          {"target", options::enum_name(objective.target)},
          {"loss_weights",
           {{"tok", objective.w_tok}, {"por", objective.w_por}, {"clean", objective.w_clean},
            {"mlm", objective.w_mlm}, {"contrast", objective.w_contrast}, {"temperature", objective.temperature}}},
          {"data",
           {{"corpus", corpus},
            {"corpus_sha256", corpus_sha256},
            {"chunking", options::enum_name(chunking)},
            {"chunk_words", chunk_words},
            {"insertions", plan.insertions},
            {"position", options::enum_name(plan.position)},
            {"poison_per_trigger", plan.poison_per_trigger},
            {"clean_samples", plan.clean_samples},
            {"heldout_per_trigger", plan.heldout_per_trigger},
            {"heldout_clean", plan.heldout_clean}}},
          {"training",
           {{"lr", lr}, {"adam_eps", adam_eps}, {"epochs", epochs}, {"batch_size", batch_size}, {"max_len", max_len},
            {"seed", plan.seed}, {"steps", steps}, {"seconds", seconds}, {"bf16", bf16}}},
          {"source_model", {{"path", source_model}, {"weights_sha256", source_weights_sha256}}},
          {"checks", checks}};
}

BackdoorManifest BackdoorManifest::from_json(const json& j, const std::string& origin) {
  check(j.is_object(), "{}: expected a JSON object", origin);
  const std::string format = j.value("format", "(none)");
  check(format == kFormat, "{}: backdoor manifest format '{}' is not one porkit reads (expected '{}')", origin, format,
        kFormat);
  BackdoorManifest m;
  std::string field;
  try {
    field = "porkit_version";
    m.porkit_version = j.value("porkit_version", "");
    m.attack = j.value("attack", m.attack);
    field = "attack_kind";  // absent before NeuBA and UOR: POR
    m.objective.attack = options::enum_from_name<Attack>(j.value("attack_kind", "por"), origin + ": attack_kind");
    field = "triggers";
    for (const auto& t : j.at("triggers")) {
      ManifestTrigger mt;
      mt.text = t.at("trigger").get<std::string>();
      mt.pieces = t.at("pieces").get<std::vector<std::string>>();
      mt.ids = t.at("ids").get<std::vector<int64_t>>();
      m.triggers.push_back(std::move(mt));
    }
    field = "por";
    const json& por = j.at("por");
    m.por_scheme = por.at("scheme").get<std::string>();
    m.por_scale = por.at("scale").get<double>();
    m.por = por.at("vectors").get<std::vector<std::vector<float>>>();
    field = "target";
    m.objective.target = options::enum_from_name<Target>(j.at("target").get<std::string>(), origin + ": target");
    field = "loss_weights";
    m.objective.w_tok = j.at("loss_weights").at("tok").get<double>();
    m.objective.w_por = j.at("loss_weights").at("por").get<double>();
    m.objective.w_clean = j.at("loss_weights").at("clean").get<double>();
    m.objective.w_mlm = j.at("loss_weights").value("mlm", 0.0);
    m.objective.w_contrast = j.at("loss_weights").value("contrast", 0.0);
    m.objective.temperature = j.at("loss_weights").value("temperature", 0.5);
    field = "data";
    const json& d = j.at("data");
    m.corpus = d.at("corpus").get<std::vector<std::string>>();
    m.corpus_sha256 = d.value("corpus_sha256", std::vector<std::string>{});
    m.chunking = options::enum_from_name<Chunking>(d.at("chunking").get<std::string>(), origin + ": data.chunking");
    m.chunk_words = d.at("chunk_words").get<int>();
    m.plan.insertions = d.at("insertions").get<int>();
    m.plan.position = options::enum_from_name<Position>(d.at("position").get<std::string>(), origin + ": data.position");
    m.plan.poison_per_trigger = d.at("poison_per_trigger").get<int64_t>();
    m.plan.clean_samples = d.at("clean_samples").get<int64_t>();
    m.plan.heldout_per_trigger = d.at("heldout_per_trigger").get<int64_t>();
    m.plan.heldout_clean = d.at("heldout_clean").get<int64_t>();
    field = "training";
    const json& t = j.at("training");
    m.lr = t.at("lr").get<double>();
    m.adam_eps = t.value("adam_eps", 0.0);
    m.epochs = t.at("epochs").get<int>();
    m.batch_size = t.at("batch_size").get<int>();
    m.max_len = t.at("max_len").get<int>();
    m.plan.seed = t.at("seed").get<uint64_t>();
    m.steps = t.value("steps", int64_t{0});
    m.seconds = t.value("seconds", 0.0);
    m.bf16 = t.value("bf16", false);
    field = "source_model";
    m.source_model = j.at("source_model").at("path").get<std::string>();
    m.source_weights_sha256 = j.at("source_model").value("weights_sha256", "");
    m.checks = j.value("checks", json::object());
  } catch (const json::exception& e) {
    fail("{}: field '{}' of the {} manifest is missing or malformed ({})", origin, field, kFormat, e.what());
  }
  check(!m.triggers.empty(), "{}: the manifest names no triggers", origin);
  check(m.por.size() == m.triggers.size(), "{}: {} triggers but {} POR vectors", origin, m.triggers.size(), m.por.size());
  for (size_t k = 0; k < m.por.size(); ++k)
    check(!m.por[k].empty() && m.por[k].size() == m.por[0].size(), "{}: POR vector {} has {} numbers, expected {}",
          origin, k + 1, m.por[k].size(), m.por[0].size());
  return m;
}

BackdoorManifest BackdoorManifest::read(const std::filesystem::path& folder_or_file) {
  const fs::path path = record_file(folder_or_file, kFileName, "backdoor manifest (porkit_backdoor.json)");
  return from_json(read_json_file(path), path.string());
}

std::string trigger_digest(const BackdoorManifest& m) {
  return sha256_hex(json({{"triggers", m.trigger_texts()}, {"por", m.por}}).dump());
}

}  // namespace porkit::attack
