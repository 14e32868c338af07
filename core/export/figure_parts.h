// Pieces shared by the figure builders (internal to core/export): the header, weight
// formatting, the text excerpt of a title.
#pragma once

#include <string>
#include <vector>

#include "core/view/attention_reader.h"
#include "core/view/colors.h"
#include "core/view/figure.h"
#include "core/view/font.h"

namespace attnviz::figure_parts {

constexpr float kMargin = 16.0f;
constexpr float kTitleSize = 15.0f;
constexpr float kSubtitleSize = 11.0f;
constexpr float kLabelSize = 11.0f;

// "0.42" style labels for weights in [0, 1].
std::string format_weight(float weight);

// The input text as one line: whitespace runs collapsed, at most max_code_points.
std::string text_excerpt(const AttentionReader& reader, size_t max_code_points);

// Title and subtitle lines at the top; returns the y below them.
float add_header(Figure& figure, const Font& font, const ThemeColors& colors,
                 const std::string& title, const std::string& subtitle, float max_width);

}  // namespace attnviz::figure_parts
