// Actions: what a person asks for, pushed by panels, menus, shortcuts and drops, and applied by
// one dispatcher (app/gui/dispatcher.cpp) after the frame is drawn. Panels draw from the latest
// published state and the ViewSpec; they never call loaders or change the view themselves.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/attention_trace.h"
#include "core/view/view_spec.h"
#include "ui/selection.h"

namespace attnviz::ui {

namespace action {

struct Open {  // a model folder, or an attention file (.npy, .safetensors, .json)
  std::string path;
};
struct OpenBuiltinModel {};
struct SetText {  // the text box was edited, or an example picked: run it
  std::string text;
};
struct AppendText {  // a prediction clicked: append and run
  std::string text;
};
struct SetRunOptions {  // the inspector's what-ifs
  RunOptions options;
};
struct LoadProbe {};
struct ShowProbeText {};
struct SetView {  // any change of the view a widget made (sliders, checkboxes, zoom and pan)
  ViewSpec spec;
};
struct Select {  // pin, unpin, move or clear the pinned token; hover previews
  SelectionEvent event;
};
struct HoverKey {  // the key under the mouse (inspector)
  std::optional<int> key;
};
struct StepLayer {
  int delta = 1;
};
struct SetHeadMode {
  HeadMode mode = HeadMode::kSingleHead;
};
struct CycleHeadMode {};
struct ClickHead {  // select it (single-head mode) or toggle it
  int head = 0;
};
struct SoloHead {
  int head = 0;
};
struct SetAllHeads {
  bool on = true;
};
struct SelectHead {  // a grid tile or a role table row: that head, alone
  int layer = 0, head = 0;
};
struct SetKind {
  ViewKind kind = ViewKind::kArcs;
};
struct ToggleArcsLayout {};
struct ToggleTheme {};
struct ToggleMergeWords {};
struct ToggleDiff {};
struct Export {
  bool every_head = false;
};
struct OpenModelPicker {};
struct ToggleShortcuts {};
struct ShowAbout {};
struct ShowModelCard {};
struct Quit {};
struct CancelRun {};
struct CancelExport {};     // stop the data export being written
struct ShowSessionDialog {  // File > Save session… / Open session…
  bool save = true;
};
struct SaveSession {  // write the session to this file
  std::string path;
};
struct OpenSession {  // a .attnviz file: its model, text, what-ifs, view and layout
  std::string path;
};  // stop the run in progress (the last finished one stays on screen)

struct RankHeads {  // the head-importance table: every head ablated alone, p(target) at position
  int position = 0;
  int32_t target = 0;
  std::string target_text;
  HeadAblation::Kind kind = HeadAblation::Kind::kZero;
};
struct CancelRankHeads {};

}  // namespace action

using Action =
    std::variant<action::Open, action::OpenBuiltinModel, action::SetText, action::AppendText,
                 action::SetRunOptions, action::LoadProbe, action::ShowProbeText, action::SetView,
                 action::Select, action::HoverKey, action::StepLayer, action::SetHeadMode,
                 action::CycleHeadMode, action::ClickHead, action::SoloHead, action::SetAllHeads,
                 action::SelectHead, action::SetKind, action::ToggleArcsLayout, action::ToggleTheme,
                 action::ToggleMergeWords, action::ToggleDiff, action::Export,
                 action::OpenModelPicker, action::ToggleShortcuts, action::ShowAbout,
                 action::ShowModelCard, action::Quit, action::CancelRun, action::CancelExport,
                 action::ShowSessionDialog, action::SaveSession, action::OpenSession,
                 action::RankHeads, action::CancelRankHeads>;

// Where panels push their actions during a frame.
using Actions = std::vector<Action>;

}  // namespace attnviz::ui
