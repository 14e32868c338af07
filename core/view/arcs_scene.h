// The picture of the arcs view, built once and painted by both the screen (ImGui) and the
// exporters (PNG, SVG): token chips on lines that wrap (or two columns, queries left and keys
// right), and from the active query an arc to every key it attends to above the spec's min
// weight, at most top-k per head, width and opacity by weight, one colour per head in the
// multi-head mode. What the screen adds (scrolling, tooltips) is not part of the picture; what
// a figure adds (title, legend) sits outside it.
//
// Legend: T tokens, H heads. Coordinates are logical pixels, y down.
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/view/arc_geometry.h"
#include "core/view/attention_reader.h"
#include "core/view/figure.h"
#include "core/view/font.h"
#include "core/view/view_spec.h"

namespace attnviz {

// Text measured once per trace and text size (the chips' labels and widths), so a frame at
// T = 1024 does not measure a thousand labels again.
struct ChipLabels {
  float text_height = 0.0f;         // the line height the widths are for
  std::vector<std::string> labels;  // (T) chip_label of each token
  std::vector<float> widths;        // (T) label widths, no padding
};
// `font` may be null (no font file): widths are then estimated from the code points.
ChipLabels measure_chip_labels(std::span<const Token> tokens, const Font* font, float text_height);

// The text size of pictures, from a line height in pixels (ImGui's font size, ascent plus
// descent) to the em size the Font measures and draws with.
float em_size_for_line_height(const Font* font, float line_height);

struct ArcsSceneInput {
  const AttentionReader* reader = nullptr;
  const ViewSpec* spec = nullptr;
  std::span<const float> whole_map;  // the whole-model map of the mode, when it needs one
  std::optional<int> query;          // the active query: the pin, or a hovered token previewing
  bool preview = false;              // the query is a hover preview: its arcs a little fainter
  std::optional<int> hovered;        // a token under the mouse: outlined
  std::span<const float> received;   // (T) attention received, tints chips without a query
  const ChipLabels* labels = nullptr;
  const Font* font = nullptr;  // text metrics (null: estimated)
  float width = 960.0f;        // the canvas the lines wrap in
  float height = 480.0f;       // the visible height: sizes the room for arcs between lines
  float text_height = 16.0f;   // line height of chip labels (ImGui's font size)
  // Chips and faded arcs are made only for the lines meeting this band (the screen's scroll
  // window); figures take everything.
  float visible_top = -std::numeric_limits<float>::infinity();
  float visible_bottom = std::numeric_limits<float>::infinity();
};

// How token chips look, everywhere chips are drawn (the arcs view, the text panel).
struct ChipLook {
  float height = 26.0f;    // the box
  float padding_x = 7.0f;  // text inset
  float text_height = 16.0f;
  float em = 13.7f;  // the labels' em size
  float ascent = 12.7f;
  Theme theme = Theme::kDark;
};
ChipLook chip_look(const Font* font, float text_height, float box_height, float padding_x,
                   Theme theme);

// One chip: a rounded box tinted by `heat` (0..1, square-root scale), the label in ink that
// reads on it (muted for special tokens), an outline when pinned or hovered.
void add_chip(Figure& figure, const Rect& box, const std::string& label, float heat, bool pinned,
              bool hovered, bool special, const ChipLook& look);

// One family of arcs: a head in its colour, or the combined row of the mode (head -1).
struct ArcSeries {
  int head = -1;
  Rgba color;
};

struct ArcsScene {
  Figure figure;  // in canvas coordinates: width = input width, height = the whole layout
  bool columns = false;
  FlowLayout flow;       // the line layout (hit tests, the layout dump)
  ColumnsLayout layout;  // the two-column layout
  std::vector<ArcSeries> series;
  int arcs_drawn = 0;       // the query's arcs in the picture
  std::vector<int> arc_keys;  // the key each of them goes to, series after series
  int arcs_candidates = 0;  // its weights above the min weight, before top-k
  float arc_room = 0.0f;    // line view: the space above each line
};

ArcsScene build_arcs_scene(const ArcsSceneInput& input);

// The series of a spec: each drawn head in its colour, or the mode's combined row.
std::vector<ArcSeries> arc_series(const ViewSpec& spec, int heads);

}  // namespace attnviz
