#include "ui/gl_selftest.h"

#include <GLFW/glfw3.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>

#include "core/view/map_picture.h"
#include "ui/gl_renderer.h"
#include "ui/heatmap_renderer.h"

namespace attnviz::ui {

namespace {

constexpr int kCells = 4;        // the known map is (4, 4)
constexpr int kCellPixels = 16;  // each cell is drawn as a 16 x 16 pixel block
constexpr int kTolerance = 2;    // per channel, out of 255
// The dark theme's mask colour (core/view/colors.cpp) in bytes.
constexpr int kMaskRgb[3] = {41, 41, 46};

MapStyle test_style() {
  MapStyle style;
  style.causal = true;
  style.masked = theme_colors(Theme::kDark).masked;
  style.outside = theme_colors(Theme::kDark).background;
  return style;
}

// Draws a (cells, cells) map whole into `target` (pixels x pixels).
Status draw_whole(HeatmapRenderer& renderer, GlRenderTarget& target, const std::vector<float>& values,
                  int cells, const MapStyle& style) {
  const MapWindow window{0.0f, 0.0f, static_cast<float>(cells), static_cast<float>(cells)};
  return renderer.render_to(target, single_map_atlas(values, cells), window, style);
}

void on_glfw_error(int code, const char* description) {
  std::fprintf(stderr, "selftest-gl: GLFW error %d: %s\n", code, description);
}

// Owns the hidden window so every exit path destroys it and terminates GLFW.
struct HiddenContext {
  GLFWwindow* window = nullptr;
  ~HiddenContext() {
    if (window != nullptr) glfwDestroyWindow(window);
    glfwTerminate();
  }
};

// Renders the map and compares; returns the number of wrong cells (messages on stderr).
int check_rendering() {
  // Visible cells (key <= query) count up in steps of 1/15 from the top-left, so every colour
  // lands on an exact table entry (17 * n out of 255); the upper triangle is masked.
  std::vector<float> values(kCells * kCells, 0.0f);
  for (int q = 0; q < kCells; ++q)
    for (int k = 0; k <= q; ++k)
      values[q * kCells + k] = static_cast<float>(q * kCells + k) / 15.0f;

  HeatmapRenderer renderer;
  if (!renderer.ready()) {
    std::fprintf(stderr, "selftest-gl: FAIL: %s\n", renderer.error().c_str());
    return kCells * kCells;
  }
  GlRenderTarget target;
  if (Status resized = target.resize(kCells * kCellPixels, kCells * kCellPixels); !resized) {
    std::fprintf(stderr, "selftest-gl: FAIL: %s\n", resized.error().message.c_str());
    return kCells * kCells;
  }
  const MapStyle style = test_style();
  if (Status drawn = draw_whole(renderer, target, values, kCells, style); !drawn) {
    std::fprintf(stderr, "selftest-gl: FAIL: %s\n", drawn.error().message.c_str());
    return kCells * kCells;
  }
  const std::vector<uint8_t> pixels = target.read_rgba();
  int wrong = 0;
  for (int q = 0; q < kCells; ++q) {
    for (int k = 0; k < kCells; ++k) {
      // Centre of the cell; framebuffer rows go bottom-up, query 0 is the top row.
      const int x = k * kCellPixels + kCellPixels / 2;
      const int y = (kCells - 1 - q) * kCellPixels + kCellPixels / 2;
      const uint8_t* got = &pixels[(static_cast<size_t>(y) * target.width() + x) * 4];
      int expected[3];
      const bool masked = k > q;
      if (masked) {
        for (int c = 0; c < 3; ++c) expected[c] = kMaskRgb[c];
      } else {
        const Rgba rgb = viridis(values[q * kCells + k]);
        expected[0] = rgb.r, expected[1] = rgb.g, expected[2] = rgb.b;
      }
      int worst = 0;
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(got[c] - expected[c]));
      if (worst > kTolerance) {
        ++wrong;
        std::fprintf(stderr,
                     "selftest-gl: cell (query %d, key %d)%s: got rgb(%d,%d,%d), expected "
                     "rgb(%d,%d,%d), off by %d/255\n",
                     q, k, masked ? " masked" : "", got[0], got[1], got[2], expected[0],
                     expected[1], expected[2], worst);
      }
    }
  }
  return wrong;
}

// A long map shown smaller than one pixel per cell: a previous-token diagonal (weight 1 at
// key = query - 1, 0 elsewhere) of 64 cells drawn at 16 x 16 pixels. Each pixel covers 4 x 4
// cells and must show their largest weight, so every pixel on the diagonal is viridis(1),
// every pixel below it viridis(0), every pixel above it masked. Returns the wrong pixels.
int check_pooling() {
  constexpr int kLong = 64, kPixels = 16, kCover = kLong / kPixels;
  std::vector<float> values(kLong * kLong, 0.0f);
  for (int q = 1; q < kLong; ++q) values[q * kLong + q - 1] = 1.0f;
  HeatmapRenderer renderer;
  GlRenderTarget target;
  if (!renderer.ready() || !target.resize(kPixels, kPixels) ||
      !draw_whole(renderer, target, values, kLong, test_style())) {
    std::fprintf(stderr, "selftest-gl: FAIL: pooled map could not be drawn: %s\n",
                 renderer.error().c_str());
    return kPixels * kPixels;
  }
  const std::vector<uint8_t> pixels = target.read_rgba();
  const Rgba top_colour = viridis(1.0f), bottom_colour = viridis(0.0f);
  const int top[3] = {top_colour.r, top_colour.g, top_colour.b};
  const int bottom[3] = {bottom_colour.r, bottom_colour.g, bottom_colour.b};
  int wrong = 0;
  for (int row = 0; row < kPixels; ++row) {
    for (int column = 0; column < kPixels; ++column) {
      // Pixel (row, column) covers queries row*4.. and keys column*4..; rows go bottom-up.
      const uint8_t* got = &pixels[(static_cast<size_t>(kPixels - 1 - row) * kPixels + column) * 4];
      // The block holds a cell (q, q - 1) when column == row (q = 4row+1..4row+3) or
      // column == row - 1 (q = 4row); it is all masked when its first key is after its last
      // query.
      const bool touches = column == row || column == row - 1;
      const int last_query = row * kCover + kCover - 1, first_key = column * kCover;
      int expected[3];
      if (first_key > last_query) {
        for (int c = 0; c < 3; ++c) expected[c] = kMaskRgb[c];
      } else {
        for (int c = 0; c < 3; ++c) expected[c] = touches ? top[c] : bottom[c];
      }
      int worst = 0;
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(got[c] - expected[c]));
      if (worst > kTolerance) {
        ++wrong;
        std::fprintf(stderr,
                     "selftest-gl: pooled pixel (%d, %d): got rgb(%d,%d,%d), expected "
                     "rgb(%d,%d,%d)\n",
                     row, column, got[0], got[1], got[2], expected[0], expected[1], expected[2]);
      }
    }
  }
  return wrong;
}

// The GPU and the CPU rule (core/view/map_picture.cpp, which figures use) on the same pictures:
// a random causal map pooled at a size that is no multiple of it, with square-root contrast,
// and a zoomed window of it. Returns the pixels that differ by more than the tolerance; a few
// pixels on a cell boundary may round the other way, so up to 1% of them are allowed.
int check_cpu_rule() {
  constexpr int kMap = 37;
  std::vector<float> values(kMap * kMap, 0.0f);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& v : values) v = uniform(rng) * uniform(rng);
  const MapAtlas atlas = single_map_atlas(values, kMap);
  MapStyle style = test_style();
  style.gamma = 0.5f;
  style.value_max = 0.8f;
  struct Case {
    MapWindow window;
    int width, height;
  };
  const Case plain_cases[] = {{{0, 0, kMap, kMap}, 23, 29}, {{5.5f, 3.25f, 20.0f, 30.0f}, 61, 53}};
  // A sliding window of 9 keys, whole cells and pooled; then a grid-like atlas of two rows of
  // tiles, pooled 2 x 2, the first row local (window 5) and the second global.
  MapStyle windowed = style;
  windowed.windows = {9};
  windowed.window_masked = theme_colors(Theme::kDark).window_masked;
  MapAtlas grid;
  grid.tile_texels = 19;
  grid.block = 2;
  grid.width = 19;
  grid.height = 2 * 19;
  grid.values.resize(static_cast<size_t>(grid.width) * grid.height);
  for (float& v : grid.values) v = uniform(rng);
  MapStyle grid_style = windowed;
  grid_style.windows = {5, 0};
  const Case window_cases[] = {{{0, 0, kMap, kMap}, 2 * kMap, 2 * kMap},
                               {{0, 0, kMap, kMap}, 23, 29}};
  const Case grid_cases[] = {{{0, 0, 19, 38}, 38, 76}, {{0, 0, 19, 38}, 17, 31}};
  struct Run {
    const MapAtlas* atlas;
    const MapStyle* style;
    std::span<const Case> cases;
  };
  const Run runs[] = {{&atlas, &style, plain_cases},
                      {&atlas, &windowed, window_cases},
                      {&grid, &grid_style, grid_cases}};
  HeatmapRenderer renderer;
  int wrong = 0;
  for (const Run& run : runs)
    for (const Case& c : run.cases) {
      const MapAtlas& atlas = *run.atlas;
      const MapStyle& style = *run.style;
      GlRenderTarget target;
      if (!renderer.ready() || !target.resize(c.width, c.height) ||
          !renderer.render_to(target, atlas, c.window, style)) {
        std::fprintf(stderr, "selftest-gl: FAIL: the CPU rule's map could not be drawn: %s\n",
                     renderer.error().c_str());
        return c.width * c.height;
      }
      const std::vector<uint8_t> pixels = target.read_rgba();
      const std::vector<Rgba> cpu = paint_map(atlas, c.window, style, c.width, c.height);
      int differing = 0;
      for (int row = 0; row < c.height; ++row) {
        for (int column = 0; column < c.width; ++column) {
          const uint8_t* got =
              &pixels[(static_cast<size_t>(c.height - 1 - row) * c.width + column) * 4];
          const Rgba want = cpu[static_cast<size_t>(row) * c.width + column];
          const int worst = std::max(
              {std::abs(got[0] - want.r), std::abs(got[1] - want.g), std::abs(got[2] - want.b)});
          if (worst > kTolerance) ++differing;
        }
      }
      if (differing * 100 > c.width * c.height) {
        std::fprintf(stderr,
                     "selftest-gl: the GPU picture differs from the CPU rule (core/view/"
                     "map_picture) in %d of %d pixels\n",
                     differing, c.width * c.height);
        wrong += differing;
      }
    }
  return wrong;
}

}  // namespace

int run_gl_selftest() {
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    std::fputs("selftest-gl: FAIL: GLFW could not start (no display? run under xvfb-run)\n",
               stderr);
    return 1;
  }
  HiddenContext context;
  glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  context.window = glfwCreateWindow(64, 64, "attnviz selftest-gl", nullptr, nullptr);
  if (context.window == nullptr) {
    std::fputs("selftest-gl: FAIL: no OpenGL 3.3 core context\n", stderr);
    return 1;
  }
  glfwMakeContextCurrent(context.window);
  const int wrong = check_rendering() + check_pooling() + check_cpu_rule();
  if (wrong != 0) {
    std::fprintf(stderr, "selftest-gl: FAIL: %d cells or pixels have the wrong colour\n", wrong);
    std::puts("FAIL");
    return 1;
  }
  std::printf(
      "selftest-gl: %d cells match viridis within %d/255, masked cells masked; a 64-cell "
      "diagonal drawn at 16 px keeps every pixel of it; pooled, zoomed and sliding-window "
      "pictures match the CPU rule of the figures\nPASS\n",
      kCells * kCells, kTolerance);
  return 0;
}

}  // namespace attnviz::ui

namespace attnviz {

int run_gl_selftest_command(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "attnviz selftest-gl: takes no arguments (got '%s')\n", args[0].c_str());
    return 2;
  }
  return ui::run_gl_selftest();
}

}  // namespace attnviz
