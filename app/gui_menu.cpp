// The menu bar, the help windows and the keyboard shortcuts of the desktop app.
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "app/gui_app.h"
#include "core/model.h"
#include "ui/panel_heads.h"
#include "ui/selection.h"

namespace attnviz {

namespace {

struct Shortcut {
  const char* keys;
  const char* action;
};

constexpr Shortcut kShortcuts[] = {
    {"click a token", "pin it and draw its arcs (click again to unpin)"},
    {"hover a token", "preview its arcs; with a pin: the exact weight"},
    {"Left / Right", "move the pinned token"},
    {"Esc", "clear the pin"},
    {"Up / Down, PgUp / PgDn", "previous / next layer"},
    {"1 \xE2\x80\xA6 9", "head 1\xE2\x80\xA6" "9: toggle (select in single-head mode)"},
    {"Shift + 1 \xE2\x80\xA6 9", "solo that head"},
    {"double-click a head", "solo that head"},
    {"M", "cycle mode: single, multi-head, mean, max"},
    {"C", "arcs: line / two columns"},
    {"A / H / G", "arcs / heatmap / model grid tab"},
    {"T", "dark / light theme"},
    {"W", "merge sub-words into words"},
    {"D", "diff: another text or another model"},
    {"Ctrl+O", "models on this computer"},
    {"Ctrl+E", "export what you see"},
    {"F1", "this list"},
    {"Ctrl+Q", "quit"},
};

bool key_pressed(int glfw_key) { return ImGui::IsKeyPressed(glfw_key, true); }

}  // namespace

void handle_shortcuts(App& app) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.KeyCtrl && key_pressed(GLFW_KEY_Q)) app.quit = true;
  if (io.KeyCtrl && key_pressed(GLFW_KEY_E)) app.export_ui.request = true;
  if (io.KeyCtrl && key_pressed(GLFW_KEY_O)) app.model_picker.open = true;
  if (key_pressed(GLFW_KEY_F1)) app.show_shortcuts = !app.show_shortcuts;
  // Keys typed into a text field belong to it.
  if (io.WantTextInput || io.KeyCtrl || io.KeyAlt || io.KeySuper) return;
  const int tokens = app.trace ? app.trace->tokens_count() : 0;
  const int layers = app.trace ? app.trace->layers() : 0;
  const int heads = app.trace ? app.trace->heads() : 0;
  if (key_pressed(GLFW_KEY_RIGHT)) ui::apply_selection(app.view, {ui::SelectionEventKind::kNext}, tokens);
  if (key_pressed(GLFW_KEY_LEFT)) ui::apply_selection(app.view, {ui::SelectionEventKind::kPrevious}, tokens);
  if (key_pressed(GLFW_KEY_ESCAPE)) ui::apply_selection(app.view, {ui::SelectionEventKind::kClear}, tokens);
  if (key_pressed(GLFW_KEY_UP) || key_pressed(GLFW_KEY_PAGE_UP)) ui::step_layer(app.view, layers, -1);
  if (key_pressed(GLFW_KEY_DOWN) || key_pressed(GLFW_KEY_PAGE_DOWN)) ui::step_layer(app.view, layers, +1);
  for (int digit = 1; digit <= 9; ++digit) {
    if (!ImGui::IsKeyPressed(GLFW_KEY_0 + digit, false)) continue;
    if (io.KeyShift) {
      ui::solo_head(app.view, digit - 1, heads);
    } else {
      ui::click_head(app.view, digit - 1, heads);
    }
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_M, false)) ui::cycle_head_mode(app.view);
  if (ImGui::IsKeyPressed(GLFW_KEY_W, false)) app.view.merge_subwords = !app.view.merge_subwords;
  if (ImGui::IsKeyPressed(GLFW_KEY_D, false)) app.diff.open = !app.diff.open;
  if (ImGui::IsKeyPressed(GLFW_KEY_C, false)) {
    app.view.arcs_layout = app.view.arcs_layout == ui::ArcsLayout::kLine ? ui::ArcsLayout::kTwoColumns
                                                                         : ui::ArcsLayout::kLine;
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_T, false)) {
    app.view.theme = app.view.theme == ui::Theme::kDark ? ui::Theme::kLight : ui::Theme::kDark;
    app.theme_changed = true;
  }
  const std::pair<int, CenterTab> tabs[] = {
      {GLFW_KEY_A, CenterTab::kArcs}, {GLFW_KEY_H, CenterTab::kHeatmap}, {GLFW_KEY_G, CenterTab::kModelGrid}};
  for (auto [key, tab] : tabs) {
    if (ImGui::IsKeyPressed(key, false)) {
      app.center_tab = tab;
      app.select_tab = true;
    }
  }
}

void draw_menu_bar(App& app, ComputeWorker* worker) {
  if (!ImGui::BeginMainMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open built-in model", nullptr, false, worker != nullptr)) {
      app.requested_folder = builtin_model_folder().string();
      worker->load_model(app.requested_folder);
    }
    if (ImGui::MenuItem("Models on this computer\xE2\x80\xA6", "Ctrl+O")) app.model_picker.open = true;
    if (ImGui::BeginMenu("Recent models", worker && !app.settings.recent_models.empty())) {
      for (const std::string& folder : app.settings.recent_models) {
        if (ImGui::MenuItem(folder.c_str())) {
          app.requested_folder = folder;
          worker->load_model(folder);
        }
      }
      ImGui::EndMenu();
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Export what you see", "Ctrl+E")) app.export_ui.request = true;
    if (ImGui::MenuItem("Export every head", nullptr)) app.export_ui.request_batch = true;
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) app.quit = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    const bool dark = app.view.theme == ui::Theme::kDark;
    if (ImGui::MenuItem("Dark theme", "T", dark) && !dark) {
      app.view.theme = ui::Theme::kDark;
      app.theme_changed = true;
    }
    if (ImGui::MenuItem("Light theme", "T", !dark) && dark) {
      app.view.theme = ui::Theme::kLight;
      app.theme_changed = true;
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Arcs: two columns", "C", app.view.arcs_layout == ui::ArcsLayout::kTwoColumns)) {
      app.view.arcs_layout = app.view.arcs_layout == ui::ArcsLayout::kLine ? ui::ArcsLayout::kTwoColumns
                                                                           : ui::ArcsLayout::kLine;
    }
    if (ImGui::MenuItem("Cycle head mode", "M")) ui::cycle_head_mode(app.view);
    ImGui::Separator();
    ui::draw_view_options_menu(app.view_options, app.view);
    ImGui::MenuItem("Diff: another text or model", "D", &app.diff.open);
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Examples", !app.model.imported)) {
    for (const std::string& example : app.text.examples) {
      if (ImGui::MenuItem(example.c_str())) {
        app.text.text = example;
        if (worker) worker->run_text(example, app.run_options);
      }
    }
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Keyboard shortcuts", "F1")) app.show_shortcuts = true;
    if (ImGui::MenuItem("About attnviz")) app.show_about = true;
    ImGui::EndMenu();
  }
  ImGui::EndMainMenuBar();
}

void draw_help_windows(App& app) {
  if (app.show_shortcuts) {
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
    if (ImGui::Begin("Keyboard shortcuts", &app.show_shortcuts, ImGuiWindowFlags_AlwaysAutoResize)) {
      if (ImGui::BeginTable("shortcuts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
        for (const Shortcut& shortcut : kShortcuts) {
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(shortcut.keys);
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(shortcut.action);
        }
        ImGui::EndTable();
      }
    }
    ImGui::End();
  }
  if (app.show_about) {
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
    if (ImGui::Begin("About attnviz", &app.show_about, ImGuiWindowFlags_AlwaysAutoResize)) {
      ImGui::Text("attnviz %s", ATTNVIZ_VERSION);
      ImGui::TextUnformatted("See where a transformer's attention goes, live, as you type.");
      ImGui::TextDisabled("Dear ImGui %s \xC2\xB7 GLFW %s", IMGUI_VERSION, glfwGetVersionString());
    }
    ImGui::End();
  }
}

}  // namespace attnviz
