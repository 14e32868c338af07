// Sessions in the app (core/session.h): File > Save session writes the model reference with
// its files' SHA-256, the text, the what-ifs, the view and the window's layout; File > Open
// session (or a dropped .attnviz file, or `attnviz --session FILE`) opens the model, and once
// it has loaded puts back the text, what-ifs, view and layout, then checks the fingerprints.
// Hashing runs on the engine's thread (Engine::hash_model_files), never in a frame.
#include <imgui.h>

#include <filesystem>

#include "app/gui/app.h"
#include "app/gui/window.h"
#include "core/atomic_file.h"
#include "core/model.h"
#include "ui/layout_hook.h"
#include "ui/panel_export.h"

namespace attnviz {

namespace {

constexpr std::pair<DetailsTab, const char*> kDetailsTabs[] = {
    {DetailsTab::kPredictions, "predictions"},
    {DetailsTab::kHeadRoles, "head-roles"},
    {DetailsTab::kCost, "cost"},
    {DetailsTab::kExport, "export"},
    {DetailsTab::kLens, "logit-lens"},
};

DetailsTab details_tab_from_key(const std::string& key) {
  for (const auto& [tab, name] : kDetailsTabs)
    if (key == name) return tab;
  return DetailsTab::kPredictions;
}

// A success is said for a few seconds (a session reopened shows the screen it saved); an
// error stays until the next save or open.
void say(SessionUi& su, bool ok, std::string message) {
  su.message = std::move(message);
  su.message_is_error = !ok;
  su.message_until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
}

std::string with_extension(std::string path) {
  if (std::filesystem::path(path).extension() != kSessionExtension) path += kSessionExtension;
  return path;
}

Session session_of(const App& app, const std::vector<ModelFile>& files) {
  const ModelInfo& model = *app.state->model;
  Session session;
  session.model.builtin = model.builtin;
  std::error_code ec;
  if (!model.builtin) session.model.folder = std::filesystem::absolute(model.folder, ec).string();
  session.model.name = model.display_name;
  session.model.files = files;
  session.text = app.text.text;
  session.run = app.run_options;
  session.view = app.view;
  session.window.width = app.window_width;
  session.window.height = app.window_height;
  session.window.left_column = app.settings.left_column_fraction;
  session.window.right_column = app.settings.right_column_fraction;
  session.window.details_tab = details_tab_key(app.flags.details_tab);
  return session;
}

void write_pending_save(App& app) {
  SessionUi& su = app.session;
  const ModelFilesResult* files = app.state->model_files.get();
  if (!su.pending_save || !app.state->model || !files || files->model_id != app.state->model_id)
    return;
  const std::string path = *su.pending_save;
  su.pending_save.reset();
  if (!files->error.empty()) return say(su, false, "Session not saved: " + files->error);
  if (Status saved = save_session(path, session_of(app, files->files)); !saved)
    return say(su, false, "Session not saved: " + saved.error().message);
  say(su, true, "Saved session " + path);
}

void apply_pending_open(App& app, DesktopWindow& window) {
  SessionUi& su = app.session;
  const EngineState& state = *app.state;
  if (!su.pending_open) return;
  if (state.open_error_id != su.open_error_id_before_open) {
    say(su, false, "The session's model did not open: " + state.open_error);
    su.pending_open.reset();
    return;
  }
  if (!state.model || state.model_id == su.model_id_before_open) return;
  // The model has loaded (and reset the what-ifs): the session's text, what-ifs and view now.
  Session session = std::move(*su.pending_open);
  su.pending_open.reset();
  app.text.text = session.text;
  app.run_options = session.run;  // the model's load reset them; a session holds only what-ifs
  if (session.view.theme != app.view.theme) app.flags.theme_changed = true;
  app.view = session.view;
  app.flags.select_tab = true;
  app.flags.details_tab = details_tab_from_key(session.window.details_tab);
  app.settings.left_column_fraction =
      std::clamp(session.window.left_column, ui::kMinLeftFraction, ui::kMaxLeftFraction);
  app.settings.right_column_fraction =
      std::clamp(session.window.right_column, ui::kMinRightFraction, ui::kMaxRightFraction);
  if (session.window.width >= 320 && session.window.height >= 240)
    window.set_window_size(session.window.width, session.window.height);
  app.text_changed = true;
  if (!session.model.files.empty()) {
    su.pending_check = std::move(session.model.files);
    app.engine->hash_model_files();
  }
}

void check_pending_files(App& app) {
  SessionUi& su = app.session;
  const ModelFilesResult* files = app.state->model_files.get();
  if (!su.pending_check || !files || files->model_id != app.state->model_id) return;
  const std::vector<ModelFile> saved = std::move(*su.pending_check);
  su.pending_check.reset();
  if (!files->error.empty()) {
    su.warning = "Could not check the model against the session: " + files->error;
    return;
  }
  const std::string changes = describe_model_changes(saved, files->files);
  if (!changes.empty())
    su.warning = "The model is not the one this session was saved with: " + changes +
                 ". The views show the model as it is now.";
}

// A path box with a button; Enter in the box presses the button.
bool path_dialog(const char* title, const char* button, const char* id, std::string& path,
                 bool& open) {
  ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, {0.5f, 0.5f});
  ImGui::SetNextWindowSize({ImGui::GetFontSize() * 36, 0}, ImGuiCond_Appearing);
  bool pressed = false;
  if (ImGui::Begin(title, &open, ImGuiWindowFlags_NoCollapse)) {
    ImGui::TextUnformatted("Session file (.attnviz):");
    ImGui::SetNextItemWidth(-1);
    char buffer[4096];
    std::snprintf(buffer, sizeof buffer, "%s", path.c_str());
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    pressed =
        ImGui::InputText("##path", buffer, sizeof buffer, ImGuiInputTextFlags_EnterReturnsTrue);
    path = buffer;
    ui::name_item(std::string(id) + ".path");
    pressed = ImGui::Button(button) || pressed;
    ui::name_item(std::string(id) + ".ok");
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) open = false;
    ui::name_item(std::string(id) + ".cancel");
  }
  ImGui::End();
  return pressed && !path.empty();
}

}  // namespace

const char* details_tab_key(DetailsTab tab) {
  for (const auto& [each, name] : kDetailsTabs)
    if (each == tab) return name;
  return "predictions";
}

Status open_session(App& app, const std::filesystem::path& file) {
  SessionUi& su = app.session;
  auto loaded = load_session(file);
  if (!loaded) {
    say(su, false, loaded.error().message);
    return loaded.error();
  }
  const std::filesystem::path folder = session_model_folder(*loaded);
  su.model_id_before_open = app.state ? app.state->model_id : 0;
  su.open_error_id_before_open = app.state ? app.state->open_error_id : 0;
  su.warning.clear();
  su.pending_check.reset();
  su.pending_open = std::move(loaded).value();
  app.model_path_input = folder.string();
  app.engine->open(folder);
  say(su, true, "Opened session " + file.string());
  return Ok{};
}

void request_session_save(App& app, const std::string& path) {
  SessionUi& su = app.session;
  if (!app.state || !app.state->model || app.state->imported)
    return say(su, false,
               "Session not saved: a session needs a model (imported attention is "
               "its own file)");
  if (Status writable = check_writable_path(path); !writable)
    return say(su, false, "Session not saved: " + writable.error().message);
  su.pending_save = path;
  say(su, true, "Saving the session: fingerprinting the model's files\xE2\x80\xA6");
  app.engine->hash_model_files();
  write_pending_save(app);  // at once when the fingerprints are known
}

void update_sessions(App& app, DesktopWindow& window) {
  bool maximized = false;
  window.window_size(app.window_width, app.window_height, maximized);
  write_pending_save(app);
  apply_pending_open(app, window);
  check_pending_files(app);
}

void draw_session_dialogs(App& app) {
  SessionUi& su = app.session;
  if (su.save_dialog && su.path.empty())
    su.path = (std::filesystem::path(app.export_ui.folder.empty() ? ui::default_export_folder()
                                                                  : app.export_ui.folder) /
               "attention.attnviz")
                  .string();
  if (su.save_dialog &&
      path_dialog("Save session", "Save", "session_save", su.path, su.save_dialog)) {
    su.save_dialog = false;
    app.actions.push_back(ui::action::SaveSession{with_extension(su.path)});
  }
  if (su.open_dialog &&
      path_dialog("Open session", "Open", "session_open", su.path, su.open_dialog)) {
    su.open_dialog = false;
    app.actions.push_back(ui::action::OpenSession{su.path});
  }
}

}  // namespace attnviz
