// Pieces shared by the figure builders (internal to core/export): titles, colour bar, weight
// formatting, viridis as RGBA.
#pragma once

#include <string>
#include <vector>

#include "core/attention_trace.h"
#include "core/export/figure.h"
#include "core/export/figures.h"
#include "core/export/font.h"

namespace attnviz::figure_parts {

constexpr float kMargin = 16.0f;
constexpr float kTitleSize = 15.0f;
constexpr float kSubtitleSize = 11.0f;
constexpr float kLabelSize = 11.0f;

Rgba viridis_rgba(float value);
Rgba mix(Rgba a, Rgba b, float t);
Rgba with_alpha(Rgba color, float alpha);

// "0.42" style labels for weights in [0, 1].
std::string format_weight(float weight);

// The input text as one line: whitespace runs collapsed, at most max_code_points.
std::string text_excerpt(const AttentionTrace& trace, size_t max_code_points);

// spec.title, or the default "model · layer L · head H · “text…”" for the figure's kind.
std::string figure_title(const AttentionTrace& trace, const FigureSpec& spec);

// Title and subtitle lines at the top; returns the y below them.
float add_header(Figure& figure, const Font& font, const Palette& palette, const std::string& title,
                 const std::string& subtitle, float max_width);

// Tick values of a colour bar from 0 to max_value: 0, round steps, and max_value last.
std::vector<float> colour_bar_ticks(float max_value);

// A vertical viridis bar from 0 (bottom) to max_value (top) with five ticks and a "weight"
// caption; returns the width it takes.
float add_colour_bar(Figure& figure, const Font& font, const Palette& palette, float x, float y,
                     float height, float max_value);

// Appends a primitive. Out of line on purpose: GCC 12 warns falsely (maybe-uninitialized) when
// a variant's push_back is inlined into the large builder functions.
void add_shape(Figure& figure, Shape shape);
// Rectangle, line and text primitives, in logical pixels.
void add_rect(Figure& figure, float x, float y, float w, float h, Rgba fill);
// An outline drawn just outside the rectangle, so the cells inside keep their exact colours.
void add_frame(Figure& figure, float x, float y, float w, float h, Rgba color, float width);
void add_line(Figure& figure, Point a, Point b, Rgba color, float width);
void add_text(Figure& figure, float x, float y, std::string text, float size, Rgba color,
              TextAnchor anchor = TextAnchor::kStart, bool vertical = false);

}  // namespace attnviz::figure_parts
