// Figures rendered headless: PNGs decode to the right size and show the right colours where the
// figure says, SVGs are well-formed with escaped labels and one rect per cell, text handles
// non-ASCII tokens, and the pieces (colour map, font, canvas) behave.
//
// Legend: L layers, H heads, T tokens.
#include <gtest/gtest.h>
#include <stb_image.h>

#include <cmath>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/view/colors.h"
#include "core/export/figure_parts.h"
#include "core/export/figures.h"
#include "core/view/font.h"
#include "core/export/png.h"
#include "core/export/raster.h"
#include "core/export/svg.h"
#include "core/view/arc_geometry.h"
#include "core/view/text.h"

using namespace attnviz;

namespace {

// 2 layers × 3 heads × T tokens with known weights: (l, h, q, k) ∝ 1 + l + 2h + 3q + 5k².
AttentionTrace make_trace(std::vector<std::string> texts, bool causal, int layers = 2,
                          int heads = 3) {
  std::vector<Token> tokens;
  size_t offset = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    tokens.push_back({static_cast<int32_t>(i), texts[i], offset, offset + texts[i].size(), false});
    offset += texts[i].size();
  }
  AttentionTrace trace(tokens, layers, heads, causal);
  trace.model_name = "tiny";
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      for (int q = 0; q < trace.tokens_count(); ++q) {
        auto row = trace.mutable_row(l, h, q);
        float sum = 0;
        for (size_t k = 0; k < row.size(); ++k)
          sum += row[k] = 1.0f + l + 2 * h + 3 * q + 5 * k * k;
        for (float& w : row) w /= sum;
      }
  return trace;
}

AttentionTrace five_tokens(bool causal = true) {
  return make_trace({"The", " bank", " <a&b>", " caf\xc3\xa9", "\n"}, causal);
}

const Font& font() {
  static const Font kFont = [] {
    Result<Font> loaded = Font::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message;
    return *loaded;
  }();
  return kFont;
}

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;
  Rgba at(int x, int y) const {
    const uint8_t* p = &rgba[(static_cast<size_t>(y) * width + x) * 4];
    return {p[0], p[1], p[2], p[3]};
  }
  bool contains(Rgba color) const {
    for (size_t i = 0; i < rgba.size(); i += 4)
      if (rgba[i] == color.r && rgba[i + 1] == color.g && rgba[i + 2] == color.b) return true;
    return false;
  }
  size_t distinct_colors() const {
    std::set<uint32_t> colors;
    for (size_t i = 0; i < rgba.size(); i += 4)
      colors.insert(rgba[i] << 16 | rgba[i + 1] << 8 | rgba[i + 2]);
    return colors.size();
  }
};

// The view of a figure test: light theme (the exporters' default), every head enabled.
ViewSpec view_of(ViewKind kind, int layer = 0, int head = 0) {
  ViewSpec view;
  view.kind = kind;
  view.layer = layer;
  view.head = head;
  view.head_mode = HeadMode::kSingleHead;
  view.theme = Theme::kLight;
  return view;
}

// Builds, renders, encodes and decodes again, as a viewer would see the PNG.
Image render_png(const AttentionTrace& trace, const ViewSpec& view, int scale = 1,
                 Figure* figure_out = nullptr) {
  FigureSpec spec;
  spec.scale = scale;
  Result<Figure> figure = build_figure(trace, view, {}, spec, font());
  EXPECT_TRUE(figure.ok()) << figure.error().message;
  if (!figure.ok()) return {};
  Result<Canvas> canvas = render_raster(*figure, font(), spec.scale);
  EXPECT_TRUE(canvas.ok()) << canvas.error().message;
  Result<std::string> png = encode_png(*canvas);
  EXPECT_TRUE(png.ok());
  Image image;
  int channels = 0;
  unsigned char* pixels = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png->data()),
                                                static_cast<int>(png->size()), &image.width,
                                                &image.height, &channels, 4);
  EXPECT_NE(pixels, nullptr) << "the PNG does not decode";
  if (pixels) {
    image.rgba.assign(pixels, pixels + static_cast<size_t>(image.width) * image.height * 4);
    stbi_image_free(pixels);
  }
  if (figure_out) *figure_out = *figure;
  return image;
}

// The first (T, T) cell grid of a figure: the heatmap (the colour bar is 256 × 1).
const CellGridShape* heatmap_cells(const Figure& figure) {
  for (const Shape& shape : figure.shapes)
    if (const auto* grid = std::get_if<CellGridShape>(&shape); grid && grid->cols > 1) return grid;
  return nullptr;
}

TEST(Colormap, ViridisTableEndsAndMonotonicLightness) {
  const auto& table = viridis_table();
  EXPECT_NEAR(table[0][0], 0.267004f, 1e-6);
  EXPECT_NEAR(table[255][1], 0.906157f, 1e-6);
  EXPECT_EQ(viridis(0.0f), (Rgba{68, 1, 84, 255}));
  EXPECT_EQ(viridis(1.0f), (Rgba{253, 231, 37, 255}));
  EXPECT_EQ(viridis(-3.0f), viridis(0.0f));
  EXPECT_EQ(viridis(std::nanf("")), viridis(0.0f));
  EXPECT_EQ(viridis(7.0f), viridis(1.0f));
  // Perceptually ordered: relative luminance rises along the map.
  float previous = -1.0f;
  for (const auto& c : table) {
    const float luminance = 0.2126f * c[0] + 0.7152f * c[1] + 0.0722f * c[2];
    EXPECT_GT(luminance, previous);
    previous = luminance;
  }
  EXPECT_EQ(viridis_table_rgb8().size(), 768u);
}

TEST(Text, DisplayTokenTrimsAndShowsInvisibleCharacters) {
  EXPECT_EQ(display_token(" bank"), "bank");
  EXPECT_EQ(display_token("\n"), "\u23CE");
  EXPECT_EQ(display_token("\r\n"), "\u23CE");
  EXPECT_EQ(display_token("  "), "\u2423");
  EXPECT_EQ(display_token(" caf\xc3\xa9 "), "caf\xc3\xa9");
  EXPECT_EQ(display_token("a\x01"), "a\xef\xbf\xbd");
  EXPECT_EQ(display_token(""), "");
}

TEST(Text, Utf8DecodingAndValidation) {
  EXPECT_EQ(decode_utf8("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"),
            (std::vector<char32_t>{U'a', 0xE9, 0x65E5, 0x1F600}));
  EXPECT_EQ(decode_utf8("\xff"
                        "a"),
            (std::vector<char32_t>{0xFFFD, U'a'}));
  EXPECT_EQ(find_invalid_utf8("ok \xc3\xa9"), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("abc\xff"), 3u);
  EXPECT_EQ(find_invalid_utf8("ab\xc0\x80"), 2u) << "overlong NUL";
  EXPECT_EQ(find_invalid_utf8("\xed\xa0\x80"), 0u) << "surrogate";
  EXPECT_EQ(find_invalid_utf8("x\xe6\x97"), 1u) << "truncated";
  EXPECT_EQ(truncate_utf8("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\u2026");
}

TEST(Font, MissingFileIsAClearError) {
  Result<Font> missing = Font::load("/nonexistent/DejaVuSans.ttf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/DejaVuSans.ttf"), std::string::npos);
  EXPECT_NE(missing.error().message.find("fonts-dejavu-core"), std::string::npos);
  Result<Font> not_a_font = Font::load("/proc/self/cmdline");
  EXPECT_FALSE(not_a_font.ok());
}

TEST(Font, MeasuresAndFallsBackToABoxForMissingGlyphs) {
  EXPECT_TRUE(font().has_glyph(U'\u00E9'));
  EXPECT_FALSE(font().has_glyph(U'\u65E5')) << "DejaVu Sans has no CJK";
  EXPECT_GT(font().measure("WWW", 12), font().measure("iii", 12));
  EXPECT_NEAR(font().measure("ab", 24), 2 * font().measure("ab", 12), 0.5f);
  const auto glyphs = font().layout(
      "a\xe6\x97\xa5\xe2\x80\x8d"
      "b",
      12);  // a 日 ZWJ b
  ASSERT_EQ(glyphs.size(), 3u) << "the zero-width joiner takes no space";
  EXPECT_EQ(glyphs[1].glyph, 0);
  EXPECT_GT(glyphs[1].advance, 5.0f);
  // The box is drawn: the mask of "日" has ink.
  const TextMask mask = font().render("\xe6\x97\xa5", 20);
  int ink = 0;
  for (uint8_t c : mask.coverage) ink += c > 128;
  EXPECT_GT(ink, 20);
  EXPECT_EQ(font().fit("a long label here", 12, 1000), "a long label here");
  const std::string cut = font().fit("a long label here", 12, 40);
  EXPECT_LE(font().measure(cut, 12), 40.0f);
  EXPECT_NE(cut.find("\u2026"), std::string::npos);
}

TEST(Canvas, VerticalTextIsTallerThanWideAndBlendsAlpha) {
  Canvas canvas(100, 200, {255, 255, 255, 255});
  canvas.draw_text(font(), "vertical", 50, 150, 16, {0, 0, 0, 255}, TextAnchor::kEnd, true);
  int x0 = 100, x1 = -1, y0 = 200, y1 = -1;
  for (int y = 0; y < 200; ++y)
    for (int x = 0; x < 100; ++x)
      if (canvas.pixel(x, y).r < 128)
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  ASSERT_GE(x1, x0) << "no ink";
  EXPECT_GT(y1 - y0, 3 * (x1 - x0)) << "ink box " << x0 << "," << y0 << " to " << x1 << "," << y1;
  EXPECT_GE(y0, 150 - 2) << "anchor end: the text ends at y = 150 and runs downward";
  EXPECT_LE(x1, 50 + 5);

  canvas.fill_rect(0, 0, 10, 10, {0, 0, 255, 128});
  const Rgba blended = canvas.pixel(5, 5);
  EXPECT_NEAR(blended.r, 127, 2);
  EXPECT_EQ(blended.b, 255);
  canvas.fill_rect(20.5f, 0, 30, 10, {0, 0, 0, 255});
  EXPECT_NEAR(canvas.pixel(20, 5).r, 128, 2) << "half-covered edge pixel";
}

TEST(Canvas, TranslucentPolylineBlendsEachPixelOnce) {
  Canvas canvas(60, 20, {255, 255, 255, 255});
  const Point points[] = {{5, 10}, {20, 10}, {35, 10}, {50, 10}};
  canvas.stroke_polyline(points, 4.0f, {0, 0, 0, 128}, true);
  EXPECT_EQ(canvas.pixel(20, 10), canvas.pixel(27, 10)) << "joints must not be darker";
  EXPECT_NEAR(canvas.pixel(27, 10).r, 127, 2);
  EXPECT_EQ(canvas.pixel(27, 2).r, 255);
}

TEST(Heatmap, PngSizeScaleColourBarEndsAndCellColours) {
  const AttentionTrace trace = five_tokens();
  for (int scale : {1, 2}) {
    const ViewSpec view = view_of(ViewKind::kHeatmap, 1, 2);
    Figure figure;
    const Image image = render_png(trace, view, scale, &figure);
    ASSERT_EQ(image.width, static_cast<int>(std::ceil(figure.width * scale)));
    ASSERT_EQ(image.height, static_cast<int>(std::ceil(figure.height * scale)));
    EXPECT_GT(image.width, 200 * scale);
    EXPECT_TRUE(image.contains(viridis(0.0f))) << "colour bar bottom";
    EXPECT_TRUE(image.contains(viridis(1.0f))) << "colour bar top";
    EXPECT_GT(image.distinct_colors(), 50u) << "the image looks blank";

    const CellGridShape* cells = heatmap_cells(figure);
    ASSERT_NE(cells, nullptr);
    ASSERT_EQ(cells->rows, 5);
    float top = 0;
    for (int q = 0; q < 5; ++q)
      for (int k = 0; k <= q; ++k) top = std::max(top, trace.weight(1, 2, q, k));
    const ThemeColors& colors = theme_colors(Theme::kLight);
    for (int q = 0; q < 5; ++q) {
      for (int k = 0; k < 5; ++k) {
        const int x = static_cast<int>((cells->x + (k + 0.5f) * cells->cell_width) * scale);
        // Sample a quarter cell above the centre (a hatch line crosses masked cells).
        const int y = static_cast<int>((cells->y + (q + 0.2f) * cells->cell_height) * scale);
        const Rgba got = image.at(x, y);
        if (k <= q) {
          const Rgba want = viridis(trace.weight(1, 2, q, k) / top);
          EXPECT_EQ(got, want) << "cell (" << q << "," << k << ") weight "
                               << trace.weight(1, 2, q, k) << " at pixel " << x << "," << y
                               << " scale " << scale;
        } else {
          EXPECT_TRUE(got == colors.masked || got.r >= colors.hatch.r - 2)
              << "masked cell (" << q << "," << k << ") should be grey";
          EXPECT_EQ(got.r, got.g) << "masked cells are neutral grey";
        }
      }
    }
  }
}

TEST(Heatmap, BidirectionalTraceHasNoMaskedCells) {
  const AttentionTrace trace = five_tokens(false);
  Figure figure;
  render_png(trace, view_of(ViewKind::kHeatmap), 1, &figure);
  const CellGridShape* cells = heatmap_cells(figure);
  ASSERT_NE(cells, nullptr);
  const ThemeColors& colors = theme_colors(Theme::kLight);
  for (const Rgba& c : cells->colors) EXPECT_NE(c, colors.masked);
}

TEST(Heatmap, DarkThemeBackground) {
  ViewSpec view = view_of(ViewKind::kHeatmap);
  view.theme = Theme::kDark;
  const Image image = render_png(five_tokens(), view);
  EXPECT_EQ(image.at(1, 1), theme_colors(Theme::kDark).background);
}

TEST(Heatmap, ThousandTokensRendersWithThinnedLabels) {
  std::vector<std::string> texts;
  for (int i = 0; i < 1024; ++i) texts.push_back(" w" + std::to_string(i));
  const AttentionTrace trace = make_trace(texts, true, 1, 1);
  Figure figure;
  const Image image = render_png(trace, view_of(ViewKind::kHeatmap), 1, &figure);
  const CellGridShape* cells = heatmap_cells(figure);
  ASSERT_NE(cells, nullptr);
  EXPECT_EQ(cells->rows, 1024);
  EXPECT_GE(cells->cell_width, 1.0f);
  int labels = 0;
  for (const Shape& shape : figure.shapes)
    if (const auto* text = std::get_if<TextShape>(&shape); text && text->vertical) ++labels;
  EXPECT_GT(labels, 20);
  EXPECT_LT(labels, 200) << "labels must be thinned when cells are smaller than the font";
  EXPECT_GT(image.width, 1024);
}

TEST(Grid, AllHeadsWithSharedColourBar) {
  const AttentionTrace trace = five_tokens();
  Figure figure;
  const Image image = render_png(trace, view_of(ViewKind::kGrid), 2, &figure);
  int grids = 0, bars = 0;
  std::set<std::string> texts;
  for (const Shape& shape : figure.shapes) {
    if (const auto* grid = std::get_if<CellGridShape>(&shape)) (grid->cols == 5 ? grids : bars)++;
    if (const auto* text = std::get_if<TextShape>(&shape)) texts.insert(text->text);
  }
  EXPECT_EQ(grids, 2 * 3);
  EXPECT_EQ(bars, 1) << "one shared colour bar";
  for (const char* label : {"L0", "L1", "H0", "H1", "H2"}) EXPECT_TRUE(texts.count(label)) << label;
  EXPECT_TRUE(image.contains(viridis(1.0f)));
  EXPECT_EQ(image.width, static_cast<int>(std::ceil(figure.width * 2)));
}

TEST(Grid, PerHeadContrastIsWhatTheScreenShows) {
  // A bidirectional trace: no head reaches weight 1, so per-head contrast (each tile from 0 to
  // its own largest weight) and absolute colours (0 to 1) differ, in the figure as on screen.
  const AttentionTrace trace = five_tokens(false);
  ViewSpec view = view_of(ViewKind::kGrid);
  auto tiles = [&](bool per_head) {
    view.grid_per_head_contrast = per_head;
    Figure figure;
    render_png(trace, view, 1, &figure);
    std::vector<Rgba> colors;
    for (const Shape& shape : figure.shapes)
      if (const auto* grid = std::get_if<CellGridShape>(&shape); grid && grid->cols == 5)
        colors.insert(colors.end(), grid->colors.begin(), grid->colors.end());
    return colors;
  };
  const std::vector<Rgba> contrast = tiles(true), absolute = tiles(false);
  ASSERT_EQ(contrast.size(), 6u * 25u);
  EXPECT_NE(contrast, absolute);
  for (int tile = 0; tile < 6; ++tile)
    EXPECT_NE(std::find(contrast.begin() + tile * 25, contrast.begin() + (tile + 1) * 25, viridis(1.0f)),
              contrast.begin() + (tile + 1) * 25)
        << "tile " << tile << " reaches the top of the colour map";
  EXPECT_EQ(std::find(absolute.begin(), absolute.end(), viridis(1.0f)), absolute.end());
}

TEST(Arcs, SelectsStrongestAboveThreshold) {
  // One rule picks the arcs on screen and in figures (core/view/arc_geometry.h pick_arcs).
  const float row[4] = {0.005f, 0.6f, 0.3f, 0.095f};
  const auto arcs = pick_arcs(row, 0.01f, 64);
  ASSERT_EQ(arcs.size(), 3u) << "0.005 is below the 0.01 threshold";
  EXPECT_EQ(arcs[0].key, 1);
  EXPECT_EQ(arcs[1].key, 2);
  EXPECT_EQ(arcs[2].key, 3);
  EXPECT_EQ(pick_arcs(row, 0.01f, 2).size(), 2u);
}

// The arcs view of one head (single) or of every enabled head (multi) from token 4.
ViewSpec arcs_view(int layer, int head, HeadMode mode) {
  ViewSpec view = view_of(ViewKind::kArcs, layer, head);
  view.head_mode = mode;
  view.pinned_token = 4;
  view.arc_min_weight = 0.01f;
  view.arc_top_k = 64;
  return view;
}

// Keys of a row of the trace above the threshold (what the figure must draw).
size_t keys_above(const AttentionTrace& trace, int layer, int head, int query, float threshold) {
  size_t count = 0;
  for (float w : trace.row(layer, head, query)) count += w >= threshold;
  return count;
}

TEST(Arcs, OneCurvePerAttendedKeyAndHighlightedToken) {
  const AttentionTrace trace = five_tokens();
  Figure figure;
  const Image image = render_png(trace, arcs_view(1, 1, HeadMode::kSingleHead), 1, &figure);
  int curves = 0;
  for (const Shape& shape : figure.shapes)
    if (const auto* path = std::get_if<PathShape>(&shape);
        path && path->segments.size() == 1 && path->segments[0].kind == PathSegment::Kind::kCubic)
      ++curves;
  EXPECT_EQ(curves, static_cast<int>(keys_above(trace, 1, 1, 4, 0.01f)));
  const ThemeColors& colors = theme_colors(Theme::kLight);
  EXPECT_TRUE(image.contains(colors.pinned_outline)) << "the pinned token is outlined";
  EXPECT_GT(image.distinct_colors(), 30u);

  Figure all;
  const Image all_image = render_png(trace, arcs_view(1, 1, HeadMode::kMultiHead), 1, &all);
  for (int h = 0; h < 3; ++h)
    EXPECT_TRUE(all_image.contains(head_color(h, 3, Theme::kLight))) << "legend swatch of head " << h;
}

// Arc curves of a figure drawn in head h's colour (any opacity).
int curves_of_head(const Figure& figure, int h) {
  const Rgba c = head_color(h, 3, Theme::kLight);
  int count = 0;
  for (const Shape& shape : figure.shapes)
    if (const auto* path = std::get_if<PathShape>(&shape);
        path && path->segments.size() == 1 && path->segments[0].kind == PathSegment::Kind::kCubic &&
        path->stroke.r == c.r && path->stroke.g == c.g && path->stroke.b == c.b)
      ++count;
  return count;
}

TEST(Arcs, OnlyTheListedHeadsAreDrawn) {
  const AttentionTrace trace = five_tokens();
  ViewSpec view = arcs_view(1, 0, HeadMode::kMultiHead);
  Figure all;
  render_png(trace, view, 1, &all);
  for (int h = 0; h < 3; ++h)
    ASSERT_GT(curves_of_head(all, h), 0) << "head " << h << " has arcs when every head is drawn";
  view.enabled_heads = {1, 0, 1};  // head 1 disabled on screen
  Figure some;
  const Image image = render_png(trace, view, 1, &some);
  EXPECT_EQ(curves_of_head(some, 1), 0) << "a disabled head's arcs were drawn";
  EXPECT_EQ(curves_of_head(some, 0), curves_of_head(all, 0));
  EXPECT_EQ(curves_of_head(some, 2), curves_of_head(all, 2));
  EXPECT_FALSE(image.contains(head_color(1, 3, Theme::kLight))) << "the legend lists the disabled head";
  const std::string title = figure_title(trace, view, {});
  EXPECT_NE(title.find("heads 0, 2"), std::string::npos) << title;
  view.enabled_heads = {0, 0, 0, 1};
  EXPECT_FALSE(validate_view(trace, view).ok()) << "head 3 of a 3-head trace";
}

TEST(Arcs, MinWeightAndTopKFilterTheFigure) {
  const AttentionTrace trace = five_tokens();
  ViewSpec view = arcs_view(1, 1, HeadMode::kSingleHead);
  const auto curves = [&](const ViewSpec& v) {
    Figure figure;
    render_png(trace, v, 1, &figure);
    int count = 0;
    for (const Shape& shape : figure.shapes)
      if (const auto* path = std::get_if<PathShape>(&shape);
          path && path->segments.size() == 1 && path->segments[0].kind == PathSegment::Kind::kCubic)
        ++count;
    return count;
  };
  view.arc_min_weight = 0.2f;
  EXPECT_EQ(curves(view), static_cast<int>(keys_above(trace, 1, 1, 4, 0.2f)));
  view.arc_min_weight = 0.0f;
  view.arc_top_k = 2;
  EXPECT_EQ(curves(view), 2);
}

TEST(Spec, TitleNamesTheSourceAndTheView) {
  const AttentionTrace trace = five_tokens();
  ViewSpec view = view_of(ViewKind::kHeatmap, 1, 2);
  const std::string plain = figure_title(trace, view, {});
  EXPECT_NE(plain.find("layer 1 \u00B7 head 2"), std::string::npos) << plain;
  view.head_mode = HeadMode::kMeanOfHeads;
  FigureSpec spec;
  spec.view_note = "words, token 0 hidden";
  const std::string title = figure_title(trace, view, spec);
  EXPECT_EQ(title.find("head 2"), std::string::npos) << title;
  EXPECT_NE(title.find("mean of"), std::string::npos) << title;
  EXPECT_NE(title.find("words, token 0 hidden"), std::string::npos) << title;
}

TEST(Spec, OutOfRangeNamesTheValidRange) {
  const AttentionTrace trace = five_tokens();
  ViewSpec view = view_of(ViewKind::kHeatmap, 2, 0);
  Status status = validate_view(trace, view);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("0 to 1"), std::string::npos) << status.error().message;
  view = view_of(ViewKind::kHeatmap, 0, -1);
  EXPECT_NE(validate_view(trace, view).error().message.find("0 to 2"), std::string::npos);
  view = view_of(ViewKind::kArcs);
  view.pinned_token = 5;
  EXPECT_NE(validate_view(trace, view).error().message.find("0 to 4"), std::string::npos);
  FigureSpec spec;
  spec.scale = 3;
  EXPECT_FALSE(build_figure(trace, view_of(ViewKind::kHeatmap), {}, spec, font()).ok());
}

// A small checker of XML well-formedness: tags nest and close, attributes are quoted, and no
// raw '&' or '<' appears in text.
bool well_formed_xml(const std::string& xml, std::string* why) {
  std::vector<std::string> stack;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '<') {
      const size_t close = xml.find('>', i);
      if (close == std::string::npos) return *why = "unterminated tag", false;
      std::string tag = xml.substr(i + 1, close - i - 1);
      i = close + 1;
      if (tag[0] == '?' || tag[0] == '!') continue;
      if (tag[0] == '/') {
        if (stack.empty() || stack.back() != tag.substr(1)) return *why = "bad close " + tag, false;
        stack.pop_back();
        continue;
      }
      size_t quotes = std::count(tag.begin(), tag.end(), '"');
      if (quotes % 2) return *why = "unbalanced quotes in <" + tag + ">", false;
      if (tag.find('<') != std::string::npos) return *why = "'<' inside a tag", false;
      if (tag.back() == '/') continue;
      stack.push_back(tag.substr(0, tag.find(' ')));
    } else {
      if (xml[i] == '&') {
        const size_t semicolon = xml.find(';', i);
        const std::string entity = xml.substr(i, semicolon - i + 1);
        if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
            entity != "&apos;")
          return *why = "raw & at " + std::to_string(i), false;
      }
      ++i;
    }
  }
  if (!stack.empty()) return *why = "unclosed <" + stack.back() + ">", false;
  return true;
}

TEST(Svg, WellFormedEscapedAndOneRectPerCell) {
  const AttentionTrace trace = five_tokens();
  Result<Figure> figure = build_figure(trace, view_of(ViewKind::kHeatmap), {}, {}, font());
  ASSERT_TRUE(figure.ok());
  const std::string svg = render_svg(*figure, 2);
  std::string why;
  EXPECT_TRUE(well_formed_xml(svg, &why)) << why;
  EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  EXPECT_NE(svg.find("version=\"1.1\""), std::string::npos);
  EXPECT_NE(svg.find("font-family=\"DejaVu Sans\""), std::string::npos);
  EXPECT_NE(svg.find("&lt;a&amp;b&gt;"), std::string::npos) << "the label <a&b> is escaped";
  EXPECT_EQ(svg.find("<a&b>"), std::string::npos);
  EXPECT_NE(svg.find("caf\xc3\xa9"), std::string::npos) << "UTF-8 labels are kept";
  EXPECT_NE(svg.find("\\n"), std::string::npos) << "a newline token shows as \\n (as on screen)";

  // The heatmap is the first crisp-edged group: one <rect> per cell of (T, T).
  const size_t begin = svg.find("<g shape-rendering=\"crispEdges\">");
  const size_t end = svg.find("</g>", begin);
  ASSERT_NE(begin, std::string::npos);
  const std::string group = svg.substr(begin, end - begin);
  size_t rects = 0;
  for (size_t at = group.find("<rect"); at != std::string::npos; at = group.find("<rect", at + 1))
    ++rects;
  EXPECT_EQ(rects, 25u);
  const std::string hex_top = [] {
    char buffer[8];
    const Rgba c = viridis(1.0f);
    std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", c.r, c.g, c.b);
    return std::string(buffer);
  }();
  EXPECT_NE(svg.find(hex_top), std::string::npos) << "colour bar top colour";
  EXPECT_NE(svg.find("width=\"" + std::to_string(static_cast<int>(figure->width * 2))),
            std::string::npos);
}

TEST(Svg, EscapesEverythingXmlCannotCarry) {
  EXPECT_EQ(xml_escape("<a&b> \"q\" 'p'"), "&lt;a&amp;b&gt; &quot;q&quot; &apos;p&apos;");
  EXPECT_EQ(xml_escape(std::string("x\x01y", 3)), "x\xef\xbf\xbdy");
  EXPECT_EQ(xml_escape("\xff"), "\xef\xbf\xbd");
}

TEST(Svg, LargeGridsEmbedAnImageInsteadOfMillionsOfRects) {
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(" t");
  const AttentionTrace trace = make_trace(texts, true, 1, 1);
  Result<Figure> figure = build_figure(trace, view_of(ViewKind::kHeatmap), {}, {}, font());
  ASSERT_TRUE(figure.ok());
  const std::string svg = render_svg(*figure);
  std::string why;
  EXPECT_TRUE(well_formed_xml(svg, &why)) << why;
  EXPECT_NE(svg.find("data:image/png;base64,"), std::string::npos);
  EXPECT_LT(svg.size(), 4u << 20);
}

TEST(Figures, NonAsciiAndEmptyTokensRenderInEveryKind) {
  const AttentionTrace trace = make_trace(
      {" caf\xc3\xa9", " \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
       " \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", "", "  ", "\t", std::string("\xff\xfe", 2)},
      true);
  for (HeadMode mode : {HeadMode::kSingleHead, HeadMode::kMultiHead}) {
    for (ViewKind kind : {ViewKind::kHeatmap, ViewKind::kGrid, ViewKind::kArcs}) {
      ViewSpec view = view_of(kind);
      view.head_mode = mode;
      view.pinned_token = 6;
      const Image image = render_png(trace, view);
      EXPECT_GT(image.distinct_colors(), 10u) << "kind " << view_kind_key(kind);
      Result<Figure> figure = build_figure(trace, view, {}, {}, font());
      ASSERT_TRUE(figure.ok()) << figure.error().message;
      std::string why;
      EXPECT_TRUE(well_formed_xml(render_svg(*figure), &why)) << why;
    }
  }
}

}  // namespace

#include "core/export/figure_parts.h"

namespace {

TEST(FigureParts, TitleExcerptRebuildsSpacesFromByteSpans) {
  // WordPiece-like tokens: no spaces in the text, gaps in the spans, "##" continuations,
  // [CLS]/[SEP] with empty spans.
  std::vector<Token> tokens = {{101, "[CLS]", 0, 0, true},     {1, "the", 0, 3, false},
                               {2, "bank", 4, 8, false},       {3, "un", 9, 11, false},
                               {4, "##believ", 11, 17, false}, {5, ".", 17, 18, false},
                               {102, "[SEP]", 18, 18, true}};
  AttentionTrace trace(tokens, 1, 1, false);
  EXPECT_EQ(figure_parts::text_excerpt(trace, 100), "the bank unbeliev.");
  EXPECT_EQ(figure_parts::text_excerpt(trace, 6), "the b\u2026");
  const AttentionTrace gpt = make_trace({"The", " bank", "\n", " by"}, true);
  EXPECT_EQ(figure_parts::text_excerpt(gpt, 100), "The bank by");
}

}  // namespace
