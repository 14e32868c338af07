#include "core/view/head_modes.h"

#include <array>
#include <cassert>

namespace attnviz {

namespace {

constexpr std::array<HeadModeInfo, 6> kModes = {{
    {HeadMode::kSingleHead, "single", "Single", "single head", AggregateMode::kHead, true, false,
     false},
    {HeadMode::kMultiHead, "multi", "Multi", "multi-head", AggregateMode::kLayerMean, true, true,
     false},
    {HeadMode::kMeanOfHeads, "mean", "Mean", "mean of the enabled heads", AggregateMode::kLayerMean,
     false, true, false},
    {HeadMode::kMaxOfHeads, "max", "Max", "max of the enabled heads", AggregateMode::kLayerMax,
     false, true, false},
    {HeadMode::kMeanAllLayers, "all-layers", "All layers", "mean of all layers and heads",
     AggregateMode::kAllMean, false, false, true},
    {HeadMode::kRollout, "rollout", "Rollout", "attention rollout", AggregateMode::kRollout, false,
     false, true},
}};

}  // namespace

std::span<const HeadModeInfo> head_modes() {
  return kModes;
}

const HeadModeInfo& head_mode_info(HeadMode mode) {
  for (const HeadModeInfo& info : kModes)
    if (info.mode == mode) return info;
  assert(false && "head_mode_info: a mode missing from the table");
  return kModes.front();
}

std::optional<HeadMode> head_mode_from_key(std::string_view key) {
  for (const HeadModeInfo& info : kModes)
    if (key == info.key) return info.mode;
  return std::nullopt;
}

std::string head_mode_key_list() {
  std::string list;
  for (size_t i = 0; i < kModes.size(); ++i) {
    if (i > 0) list += i + 1 == kModes.size() ? " or " : ", ";
    list += kModes[i].key;
  }
  return list;
}

HeadMode next_head_mode(HeadMode mode) {
  for (size_t i = 0; i < kModes.size(); ++i)
    if (kModes[i].mode == mode) return kModes[(i + 1) % kModes.size()].mode;
  return kModes.front().mode;
}

}  // namespace attnviz
