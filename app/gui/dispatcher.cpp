// The one dispatcher: every action the panels, menus, shortcuts and drops push is applied here,
// after the frame that pushed it is drawn. Requests for background work go to the engine; view
// changes go to the ViewSpec. Nothing else in the app calls a loader or changes the view.
#include <type_traits>

#include "app/gui/app.h"
#include "core/model.h"
#include "ui/panel_heads.h"
#include "ui/selection.h"

namespace attnviz {

namespace {

// The text runs once the frame that changed it is on screen (the main loop posts it): under a
// software renderer the frame's drawing would otherwise take the cores from the run.
void set_text(App& app, std::string text) {
  app.text.text = std::move(text);
  app.text_changed = true;
}

int shown_layers(const App& app) {
  const TraceRef* shown = shown_trace(app);
  return shown ? shown->trace->layers() : 0;
}
int shown_heads(const App& app) {
  const TraceRef* shown = shown_trace(app);
  return shown ? shown->trace->heads() : 0;
}
int shown_tokens(const App& app) {
  const TraceRef* shown = shown_trace(app);
  return shown ? shown->trace->tokens_count() : 0;
}

void set_view(App& app, ViewSpec spec) {
  if (spec.theme != app.view.theme) app.flags.theme_changed = true;
  if (spec.kind != app.view.kind) app.flags.select_tab = true;
  if (const TraceRef* shown = shown_trace(app)) {
    const AttentionTrace& trace = *shown->trace;
    spec.clamp_to(trace.layers(), trace.heads(), trace.tokens_count());
  }
  app.view = std::move(spec);
}

struct Apply {
  App& app;

  void operator()(const ui::action::Open& a) const {
    app.model_path_input = a.path;
    app.engine->open(a.path);
  }
  void operator()(const ui::action::OpenBuiltinModel&) const {
    (*this)(ui::action::Open{builtin_model_folder().string()});
  }
  void operator()(const ui::action::SetText& a) const {
    app.text_before_probe.reset();
    set_text(app, a.text);
  }
  void operator()(const ui::action::AppendText& a) const {
    app.text_before_probe.reset();
    set_text(app, app.text.text + a.text);
  }
  void operator()(const ui::action::SetRunOptions& a) const {
    app.run_options = a.options;
    app.text_changed = true;
  }
  void operator()(const ui::action::LoadProbe&) const { app.engine->run_probe(); }
  void operator()(const ui::action::CancelRun&) const { app.engine->cancel_run(); }
  void operator()(const ui::action::RankHeads& a) const {
    app.engine->rank_heads({a.position, a.target, a.target_text, a.kind});
  }
  void operator()(const ui::action::CancelRankHeads&) const { app.engine->cancel_rank_heads(); }
  void operator()(const ui::action::CancelExport&) const { app.engine->cancel_export(); }
  void operator()(const ui::action::ShowProbeText&) const {
    if (!app.state || !app.state->probe) return;
    // Token 0 stands for how every text starts (<|endoftext|>, [CLS]); the rest is text.
    std::string text;
    const std::vector<Token>& tokens = app.state->probe->trace.trace->tokens();
    for (size_t i = 1; i < tokens.size(); ++i) text += tokens[i].text;
    if (text == app.text.text) return;
    // The user's own text, kept for Undo (a second press keeps the first one's).
    if (!app.text_before_probe) app.text_before_probe = app.text.text;
    set_text(app, text);
  }
  void operator()(const ui::action::SetView& a) const { set_view(app, a.spec); }
  void operator()(const ui::action::Select& a) const {
    if (a.event.kind == ui::SelectionEventKind::kHover) {
      app.hovered_this_frame = true;
      if (app.view.pinned_token) return;  // with a pin, hovering shows weights, not arcs
    }
    ui::apply_selection(app.view, app.pointer, a.event, shown_tokens(app));
  }
  void operator()(const ui::action::HoverKey& a) const { app.pointer.hovered_key = a.key; }
  void operator()(const ui::action::StepLayer& a) const {
    ui::step_layer(app.view, shown_layers(app), a.delta);
  }
  void operator()(const ui::action::SetHeadMode& a) const { app.view.head_mode = a.mode; }
  void operator()(const ui::action::CycleHeadMode&) const { ui::cycle_head_mode(app.view); }
  void operator()(const ui::action::ClickHead& a) const {
    ui::click_head(app.view, a.head, shown_heads(app));
  }
  void operator()(const ui::action::SoloHead& a) const {
    ui::solo_head(app.view, a.head, shown_heads(app));
  }
  void operator()(const ui::action::SetAllHeads& a) const {
    app.view.enabled_heads.assign(shown_heads(app), a.on ? 1 : 0);
  }
  void operator()(const ui::action::SelectHead& a) const {
    ViewSpec spec = app.view;
    spec.layer = a.layer;
    spec.head = a.head;
    spec.head_mode = HeadMode::kSingleHead;
    set_view(app, spec);
  }
  void operator()(const ui::action::SetKind& a) const {
    app.view.kind = a.kind;
    app.flags.select_tab = true;
  }
  void operator()(const ui::action::ToggleArcsLayout&) const {
    app.view.arcs_layout =
        app.view.arcs_layout == ArcsLayout::kLine ? ArcsLayout::kTwoColumns : ArcsLayout::kLine;
  }
  void operator()(const ui::action::ToggleTheme&) const {
    app.view.theme = app.view.theme == Theme::kDark ? Theme::kLight : Theme::kDark;
    app.flags.theme_changed = true;
  }
  void operator()(const ui::action::ToggleMergeWords&) const {
    app.view.merge_words = !app.view.merge_words;
  }
  void operator()(const ui::action::ToggleDiff&) const { app.view.diff.open = !app.view.diff.open; }
  void operator()(const ui::action::Export& a) const { carry_out_export(app, a.every_head); }
  void operator()(const ui::action::OpenModelPicker&) const { app.panels.model_picker.open = true; }
  void operator()(const ui::action::ToggleShortcuts&) const {
    app.flags.show_shortcuts = !app.flags.show_shortcuts;
  }
  void operator()(const ui::action::ShowAbout&) const { app.flags.show_about = true; }
  void operator()(const ui::action::ShowModelCard&) const { app.flags.show_model_card = true; }
  void operator()(const ui::action::Quit&) const { app.flags.quit = true; }
  void operator()(const ui::action::ShowSessionDialog& a) const {
    app.session.save_dialog = a.save;
    app.session.open_dialog = !a.save;
  }
  void operator()(const ui::action::SaveSession& a) const { request_session_save(app, a.path); }
  void operator()(const ui::action::OpenSession& a) const { (void)open_session(app, a.path); }
};

}  // namespace

const TraceRef* shown_trace(const App& app) {
  return app.state ? app.state->shown() : nullptr;
}

void dispatch(App& app, const ui::Action& action) {
  std::visit(Apply{app}, action);
}

void dispatch_queued(App& app) {
  // Actions may queue more (none do today); take the list first.
  ui::Actions actions;
  actions.swap(app.actions);
  for (const ui::Action& action : actions) dispatch(app, action);
  if (!app.hovered_this_frame)
    ui::apply_selection(app.view, app.pointer, {ui::SelectionEventKind::kHoverEnd},
                        shown_tokens(app));
  app.hovered_this_frame = false;
}

}  // namespace attnviz
