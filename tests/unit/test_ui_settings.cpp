// Settings: the config folder from the environment, a save/load round trip, defaults for a
// missing file, an error (not a crash) for a broken one, clamping, and the recent-models list.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ui/settings.h"

namespace attnviz::ui {
namespace {

namespace fs = std::filesystem;

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() / ("attnviz_settings_" + std::to_string(::getpid()));
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }
  fs::path folder_;
};

TEST_F(SettingsTest, ConfigFolderFollowsXdgThenHome) {
  const char* saved_xdg = std::getenv("XDG_CONFIG_HOME");
  const char* saved_home = std::getenv("HOME");
  const std::string xdg_copy = saved_xdg ? saved_xdg : "", home_copy = saved_home ? saved_home : "";
  setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(config_folder(), fs::path("/tmp/xdg/attnviz"));
  setenv("XDG_CONFIG_HOME", "relative/path", 1);  // the spec says: ignore relative paths
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(config_folder(), fs::path("/home/someone/.config/attnviz"));
  unsetenv("XDG_CONFIG_HOME");
  unsetenv("HOME");
  EXPECT_FALSE(config_folder());
  if (saved_xdg) setenv("XDG_CONFIG_HOME", xdg_copy.c_str(), 1);
  if (saved_home) setenv("HOME", home_copy.c_str(), 1);
}

TEST_F(SettingsTest, RoundTrip) {
  Settings settings;
  settings.theme = Theme::kLight;
  settings.window_width = 1234;
  settings.window_height = 777;
  settings.window_maximized = true;
  settings.font_size = 18;
  settings.recent_models = {"/models/gpt2", "/models/bert ünïcode"};
  settings.export_folder = "/tmp/exports";
  settings.export_scale = 4;
  settings.head_mode = HeadMode::kMeanOfHeads;
  settings.arcs_layout = ArcsLayout::kTwoColumns;
  settings.arc_min_weight = 0.125f;
  settings.arc_top_k = 7;
  settings.left_column_fraction = 0.35f;
  settings.right_column_fraction = 0.2f;
  const fs::path file = folder_ / "nested" / "settings.json";
  ASSERT_TRUE(save_settings(file, settings).ok());
  auto loaded = load_settings(file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value(), settings);
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(file.parent_path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(SettingsTest, MissingFileGivesDefaults) {
  auto loaded = load_settings(folder_ / "absent.json");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value(), Settings{});
}

TEST_F(SettingsTest, BrokenFileIsAnErrorNamingTheFile) {
  const fs::path file = folder_ / "settings.json";
  std::ofstream(file) << "{ this is not json";
  auto loaded = load_settings(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find(file.string()), std::string::npos) << loaded.error().message;
}

TEST_F(SettingsTest, WrongTypesKeepDefaultsAndValuesAreClamped) {
  const fs::path file = folder_ / "settings.json";
  std::ofstream(file) << R"({"theme": 3, "window_width": 5, "font_size": 400, "export_scale": 3,
                            "arc_top_k": -2, "recent_models": "not a list", "head_mode": "bogus"})";
  auto loaded = load_settings(file);
  ASSERT_TRUE(loaded.ok());
  const Settings defaults;
  EXPECT_EQ(loaded->theme, defaults.theme);
  EXPECT_EQ(loaded->window_width, 640);
  EXPECT_FLOAT_EQ(loaded->font_size, 48.0f);
  EXPECT_EQ(loaded->export_scale, 2);
  EXPECT_EQ(loaded->arc_top_k, 1);
  EXPECT_TRUE(loaded->recent_models.empty());
  EXPECT_EQ(loaded->head_mode, defaults.head_mode);
}

TEST_F(SettingsTest, UnwritableFolderIsAnError) {
  auto saved = save_settings("/proc/attnviz/settings.json", Settings{});
  EXPECT_FALSE(saved.ok());
}

TEST(RecentModels, MostRecentFirstNoDuplicatesCapped) {
  Settings settings;
  for (int i = 0; i < 15; ++i) remember_model(settings, "/m/" + std::to_string(i));
  ASSERT_EQ(settings.recent_models.size(), Settings::kMaxRecentModels);
  EXPECT_EQ(settings.recent_models.front(), "/m/14");
  remember_model(settings, "/m/10");
  EXPECT_EQ(settings.recent_models.front(), "/m/10");
  EXPECT_EQ(std::count(settings.recent_models.begin(), settings.recent_models.end(), "/m/10"), 1);
}

}  // namespace
}  // namespace attnviz::ui
