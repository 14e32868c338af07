// The menu bar, the help windows and the keyboard shortcuts of the desktop app. Menu items and
// keys push actions (the dispatcher applies them); one table of shortcuts drives both the keys
// and the Help window's list.
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <functional>

#include "app/gui/app.h"
#include "core/model.h"
#include "ui/layout_hook.h"
#include "ui/panel_model_card.h"
#include "ui/panel_view_options.h"

namespace attnviz {

namespace {

// A shortcut: the keys as the Help window shows them, what it does, and when it fires.
struct Shortcut {
  const char* keys;
  const char* what;
  // Pushes the action when the keys were pressed this frame (null: a mouse gesture, listed for
  // help only).
  std::function<void(App&)> fire;
};

bool pressed(int glfw_key, bool repeat = false) {
  return ImGui::IsKeyPressed(glfw_key, repeat);
}

bool no_modifiers() {
  const ImGuiIO& io = ImGui::GetIO();
  return !io.KeyCtrl && !io.KeyAlt && !io.KeySuper;
}

// Keys typed into a text field belong to it; plain keys act only outside text fields, without
// modifiers, and when the last click was on the views (UiFlags::canvas_focus).
bool plain_keys_allowed(const App& app) {
  return !ImGui::GetIO().WantTextInput && no_modifiers() && app.flags.canvas_focus;
}

// A plain key that a shortcut would take was pressed while the last click was elsewhere.
bool plain_shortcut_key_pressed() {
  if (ImGui::GetIO().WantTextInput || !no_modifiers()) return false;
  for (int key = GLFW_KEY_0; key <= GLFW_KEY_9; ++key)
    if (pressed(key)) return true;
  for (int key : {GLFW_KEY_A, GLFW_KEY_C, GLFW_KEY_D, GLFW_KEY_G, GLFW_KEY_H, GLFW_KEY_M,
                  GLFW_KEY_T, GLFW_KEY_W, GLFW_KEY_LEFT, GLFW_KEY_RIGHT, GLFW_KEY_UP,
                  GLFW_KEY_DOWN, GLFW_KEY_PAGE_UP, GLFW_KEY_PAGE_DOWN})
    if (pressed(key)) return true;
  return false;
}

void push(App& app, ui::Action action) {
  app.actions.push_back(std::move(action));
}

const std::vector<Shortcut>& shortcuts() {
  using namespace ui::action;
  using ui::SelectionEventKind;
  static const std::vector<Shortcut> kShortcuts = {
      {"click a token", "pin it and draw its arcs (click again to unpin)", nullptr},
      {"hover a token", "preview its arcs; with a pin: the exact weight", nullptr},
      {"Left / Right", "move the pinned token",
       [](App& app) {
         if (!plain_keys_allowed(app)) return;
         if (pressed(GLFW_KEY_RIGHT, true)) push(app, Select{{SelectionEventKind::kNext}});
         if (pressed(GLFW_KEY_LEFT, true)) push(app, Select{{SelectionEventKind::kPrevious}});
       }},
      {"Esc", "clear the pin",
       [](App& app) {
         if (plain_keys_allowed(app) && pressed(GLFW_KEY_ESCAPE))
           push(app, Select{{SelectionEventKind::kClear}});
       }},
      {"Up / Down, PgUp / PgDn", "previous / next layer",
       [](App& app) {
         if (!plain_keys_allowed(app)) return;
         if (pressed(GLFW_KEY_UP, true) || pressed(GLFW_KEY_PAGE_UP, true))
           push(app, StepLayer{-1});
         if (pressed(GLFW_KEY_DOWN, true) || pressed(GLFW_KEY_PAGE_DOWN, true))
           push(app, StepLayer{+1});
       }},
      {"1 \xE2\x80\xA6 9",
       "head 1\xE2\x80\xA6"
       "9: toggle (select in single-head mode)",
       [](App& app) {
         if (!plain_keys_allowed(app) || ImGui::GetIO().KeyShift) return;
         for (int digit = 1; digit <= 9; ++digit)
           if (pressed(GLFW_KEY_0 + digit)) push(app, ClickHead{digit - 1});
       }},
      {"Shift + 1 \xE2\x80\xA6 9", "solo that head",
       [](App& app) {
         if (!plain_keys_allowed(app) || !ImGui::GetIO().KeyShift) return;
         for (int digit = 1; digit <= 9; ++digit)
           if (pressed(GLFW_KEY_0 + digit)) push(app, SoloHead{digit - 1});
       }},
      {"double-click a head", "solo that head", nullptr},
      {"M", "next head mode: single, multi-head, mean, max, all layers, rollout",
       [](App& app) {
         if (plain_keys_allowed(app) && pressed(GLFW_KEY_M)) push(app, CycleHeadMode{});
       }},
      {"C", "arcs: line / two columns",
       [](App& app) {
         if (plain_keys_allowed(app) && pressed(GLFW_KEY_C)) push(app, ToggleArcsLayout{});
       }},
      {"A / H / G", "arcs / heatmap / model grid tab",
       [](App& app) {
         if (!plain_keys_allowed(app)) return;
         if (pressed(GLFW_KEY_A)) push(app, SetKind{ViewKind::kArcs});
         if (pressed(GLFW_KEY_H)) push(app, SetKind{ViewKind::kHeatmap});
         if (pressed(GLFW_KEY_G)) push(app, SetKind{ViewKind::kGrid});
       }},
      {"T", "dark / light theme",
       [](App& app) {
         if (plain_keys_allowed(app) && pressed(GLFW_KEY_T)) push(app, ToggleTheme{});
       }},
      {"W", "merge sub-words into words",
       [](App& app) {
         if (plain_keys_allowed(app) && pressed(GLFW_KEY_W)) push(app, ToggleMergeWords{});
       }},
      {"D", "diff: another text or another model",
       [](App& app) {
         if (plain_keys_allowed(app) && pressed(GLFW_KEY_D)) push(app, ToggleDiff{});
       }},
      {"Ctrl+O", "models on this computer",
       [](App& app) {
         if (ImGui::GetIO().KeyCtrl && pressed(GLFW_KEY_O)) push(app, OpenModelPicker{});
       }},
      {"Ctrl+S", "save the session (model, text, view) to reopen it exactly",
       [](App& app) {
         if (ImGui::GetIO().KeyCtrl && pressed(GLFW_KEY_S)) push(app, ShowSessionDialog{true});
       }},
      {"Ctrl+E", "export what you see",
       [](App& app) {
         if (ImGui::GetIO().KeyCtrl && pressed(GLFW_KEY_E)) push(app, Export{false});
       }},
      {"F1", "this list",
       [](App& app) {
         if (pressed(GLFW_KEY_F1)) push(app, ToggleShortcuts{});
       }},
      {"Ctrl+Z", "undo \"Show probe text\": your text back",
       [](App& app) {
         if (ImGui::GetIO().KeyCtrl && !ImGui::GetIO().WantTextInput && pressed(GLFW_KEY_Z) &&
             app.text_before_probe)
           push(app, SetText{*app.text_before_probe});
       }},
      {"Ctrl+Q", "quit",
       [](App& app) {
         if (ImGui::GetIO().KeyCtrl && pressed(GLFW_KEY_Q)) push(app, Quit{});
       }},
  };
  return kShortcuts;
}

void theme_item(App& app, const char* label, Theme theme) {
  if (ImGui::MenuItem(label, "T", app.view.theme == theme) && app.view.theme != theme)
    push(app, ui::action::ToggleTheme{});
}

}  // namespace

void push_shortcut_actions(App& app) {
  constexpr auto kNoteTime = std::chrono::milliseconds(2500);
  bool fired = false;
  for (const Shortcut& shortcut : shortcuts()) {
    if (!shortcut.fire) continue;
    const size_t before = app.actions.size();
    shortcut.fire(app);
    if (app.actions.size() == before) continue;
    fired = true;
    app.flags.note = std::string(shortcut.keys) + ": " + shortcut.what;
    app.flags.note_until = std::chrono::steady_clock::now() + kNoteTime;
  }
  if (!fired && !app.flags.canvas_focus && plain_shortcut_key_pressed()) {
    app.flags.note = "single-key shortcuts act on the views: click the picture first";
    app.flags.note_until = std::chrono::steady_clock::now() + kNoteTime;
  }
}

void draw_menu_bar(App& app) {
  using namespace ui::action;
  if (!ImGui::BeginMainMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open built-in model")) push(app, OpenBuiltinModel{});
    if (ImGui::MenuItem("Models on this computer\xE2\x80\xA6", "Ctrl+O"))
      push(app, OpenModelPicker{});
    if (ImGui::BeginMenu("Recent models", !app.settings.recent_models.empty())) {
      for (size_t i = 0; i < app.settings.recent_models.size(); ++i) {
        const std::string& folder = app.settings.recent_models[i];
        if (ImGui::MenuItem(folder.c_str())) push(app, Open{folder});
        ui::name_item("menu_recent." + std::to_string(i));
      }
      ImGui::EndMenu();
    }
    ui::name_item("menu_recent");
    ImGui::Separator();
    if (ImGui::MenuItem("Open session\xE2\x80\xA6")) push(app, ShowSessionDialog{false});
    ui::name_item("menu_open_session");
    if (ImGui::MenuItem("Save session\xE2\x80\xA6", "Ctrl+S", false,
                        app.state && app.state->model && !app.state->imported))
      push(app, ShowSessionDialog{true});
    ui::name_item("menu_save_session");
    ImGui::Separator();
    if (ImGui::MenuItem("Export what you see", "Ctrl+E")) push(app, Export{false});
    if (ImGui::MenuItem("Export every head", nullptr)) push(app, Export{true});
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) push(app, Quit{});
    ImGui::EndMenu();
  }
  ui::name_item("menu_file");
  if (ImGui::BeginMenu("View")) {
    theme_item(app, "Dark theme", Theme::kDark);
    theme_item(app, "Light theme", Theme::kLight);
    ImGui::Separator();
    if (ImGui::MenuItem("Arcs: two columns", "C", app.view.arcs_layout == ArcsLayout::kTwoColumns))
      push(app, ToggleArcsLayout{});
    if (ImGui::BeginMenu("Head mode")) {
      for (const HeadModeInfo& mode : head_modes())
        if (ImGui::MenuItem(mode.label, nullptr, app.view.head_mode == mode.mode))
          push(app, SetHeadMode{mode.mode});
      ImGui::EndMenu();
    }
    ImGui::Separator();
    ui::draw_view_options_menu(app.view, app.actions);
    if (ImGui::MenuItem("Diff: another text or model", "D", app.view.diff.open))
      push(app, ToggleDiff{});
    ImGui::EndMenu();
  }
  const bool imported = app.state && app.state->imported;
  const bool examples_open = ImGui::BeginMenu("Examples", !imported);
  ui::name_item("menu_examples");
  if (examples_open) {
    for (size_t i = 0; i < app.text.examples.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      const std::string title = ui::example_title(app.text, i);
      if (ImGui::MenuItem(title.c_str())) push(app, SetText{app.text.examples[i]});
      ui::name_item("example." + std::to_string(i));
      ImGui::PopID();
    }
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Keyboard shortcuts", "F1")) push(app, ToggleShortcuts{});
    if (ImGui::MenuItem("Model card", nullptr, false, app.state && app.state->model))
      push(app, ShowModelCard{});
    if (ImGui::MenuItem("About attnviz")) push(app, ShowAbout{});
    ImGui::EndMenu();
  }
  ImGui::EndMainMenuBar();
}

void draw_help_windows(App& app) {
  if (app.flags.show_shortcuts) {
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing,
                            {0.5f, 0.5f});
    if (ImGui::Begin("Keyboard shortcuts", &app.flags.show_shortcuts,
                     ImGuiWindowFlags_AlwaysAutoResize)) {
      if (ImGui::BeginTable("shortcuts", 2,
                            ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
        for (const Shortcut& shortcut : shortcuts()) {
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(shortcut.keys);
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(shortcut.what);
        }
        ImGui::EndTable();
      }
    }
    ImGui::End();
  }
  if (app.flags.show_model_card) {
    const ModelInfo* model = app.state && app.state->model ? &*app.state->model : nullptr;
    ui::draw_model_card_window(model, app.flags.show_model_card);
  }
  if (app.flags.show_about) {
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing,
                            {0.5f, 0.5f});
    if (ImGui::Begin("About attnviz", &app.flags.show_about, ImGuiWindowFlags_AlwaysAutoResize)) {
      ImGui::Text("attnviz %s", ATTNVIZ_VERSION);
      ImGui::TextUnformatted("See where a transformer's attention goes, live, as you type.");
      ImGui::TextDisabled("Dear ImGui %s \xC2\xB7 GLFW %s", IMGUI_VERSION, glfwGetVersionString());
    }
    ImGui::End();
  }
}

}  // namespace attnviz
