// SVG 1.1 rendering of a Figure: the same primitives as the PNG, as vector shapes and text in
// "DejaVu Sans". Labels are XML-escaped; characters XML cannot carry become U+FFFD.
#pragma once

#include <string>
#include <string_view>

#include "core/view/figure.h"

namespace attnviz {

// A standalone SVG document. `scale` multiplies the width/height attributes (the viewBox stays
// in logical pixels), so an SVG at scale 2 opens as large as the PNG at scale 2.
std::string render_svg(const Figure& figure, int scale = 1);

// Text escaped for XML content and attribute values (& < > " '), with code points XML 1.0
// forbids (controls other than tab/LF/CR, U+FFFE, U+FFFF) replaced by U+FFFD.
std::string xml_escape(std::string_view utf8);

}  // namespace attnviz
