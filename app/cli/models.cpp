// `attnviz models [--dir DIR] [--json]`: the models already on this machine (the Hugging Face
// cache and DIR), whether attnviz can open each, and for those it can their family, size and
// stored precision (from the model card). `attnviz models --card DIR [--json]`: one folder's
// model card, the lines the app's Model card window shows.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/model_card.h"
#include "core/model_discovery.h"

namespace attnviz {

int run_models(const Args& words) {
  auto args = CliArgs::parse(words, {"dir", "card"}, {"json"});
  if (!args) {
    std::fprintf(stderr,
                 "attnviz models: %s\nusage: attnviz models [--dir DIR | --card DIR] [--json]\n",
                 args.error().message.c_str());
    return 2;
  }
  if (!args->positional().empty()) {
    std::fprintf(stderr, "attnviz models: unexpected argument '%s'\n",
                 args->positional().front().c_str());
    return 2;
  }
  if (auto folder = args->value("card")) {
    if (args->value("dir")) {
      std::fprintf(stderr, "attnviz models: --card and --dir do not go together\n");
      return 2;
    }
    auto card = read_model_card(*folder);
    if (!card.ok()) {
      std::fprintf(stderr, "attnviz models: %s\n", card.error().message.c_str());
      return 1;
    }
    const auto lines = card_lines(*card);
    if (args->has("json")) {
      std::printf("%s\n", nlohmann::json(lines).dump(2).c_str());
    } else {
      for (const auto& [label, value] : lines)
        std::printf("%-16s %s\n", label.c_str(), value.c_str());
    }
    return 0;
  }
  std::vector<std::filesystem::path> extra;
  if (auto dir = args->value("dir")) extra.emplace_back(*dir);
  const std::vector<DiscoveredModel> models = discover_models(extra);

  if (args->has("json")) {
    nlohmann::json list = nlohmann::json::array();
    for (const DiscoveredModel& model : models)
      list.push_back({{"name", model.name},
                      {"revision", model.revision},
                      {"path", model.path.string()},
                      {"model_type", model.model_type},
                      {"supported", model.supported},
                      {"reason", model.reason},
                      {"family", model.family},
                      {"parameters", model.parameters},
                      {"precision", model.precision},
                      {"description", model.description}});
    std::printf("%s\n", list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  const std::filesystem::path hub = default_hub_cache();
  if (models.empty()) {
    std::printf("no models found (searched %s%s%s)\n", hub.empty() ? "no hub cache" : hub.c_str(),
                extra.empty() ? "" : " and ", extra.empty() ? "" : extra.front().c_str());
    return 0;
  }
  for (const DiscoveredModel& model : models) {
    const std::string revision = model.revision.substr(0, 12);
    std::string what = model.reason;
    if (model.supported) {
      what = model.family;
      if (model.parameters > 0) what += " " + format_parameters(model.parameters);
      if (!model.precision.empty()) what += " " + model.precision;
      what += "  " + model.path.string();
    }
    std::printf("%-40s %-12s %-11s %s\n", model.name.c_str(),
                revision.empty() ? "-" : revision.c_str(),
                model.supported ? "supported" : "unsupported", what.c_str());
  }
  return 0;
}

}  // namespace attnviz
