#include "core/export/svg.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/export/png.h"
#include "core/view/text.h"

namespace attnviz {
namespace {

// Grids with more cells than this are embedded as one pixelated PNG image instead of one
// <rect> per cell, so a T = 1024 heatmap stays a viewable file (1M rects would not be).
constexpr long kMaxCellRects = 128L * 128L;

std::string number(float value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string text = buffer;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string hex(Rgba color) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", color.r, color.g, color.b);
  return buffer;
}

// fill="#rrggbb" plus fill-opacity when translucent; `what` is "fill" or "stroke".
std::string paint(const char* what, Rgba color) {
  std::string out = std::string(what) + "=\"" + hex(color) + "\"";
  if (color.a < 255)
    out += std::string(" ") + what + "-opacity=\"" + number(color.a / 255.0f) + "\"";
  return out;
}

std::string base64(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = static_cast<uint8_t>(bytes[i]);
    const uint32_t b1 = i + 1 < bytes.size() ? static_cast<uint8_t>(bytes[i + 1]) : 0;
    const uint32_t b2 = i + 2 < bytes.size() ? static_cast<uint8_t>(bytes[i + 2]) : 0;
    const uint32_t triple = (b0 << 16) | (b1 << 8) | b2;
    out += kAlphabet[(triple >> 18) & 63];
    out += kAlphabet[(triple >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(triple >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[triple & 63] : '=';
  }
  return out;
}

void write(std::string& out, const RectShape& rect) {
  const std::string corner = rect.radius > 0 ? " rx=\"" + number(rect.radius) + "\"" : "";
  if (rect.fill.a > 0) {
    out += "<rect x=\"" + number(rect.x) + "\" y=\"" + number(rect.y) + "\" width=\"" +
           number(rect.width) + "\" height=\"" + number(rect.height) + "\"" + corner + " " +
           paint("fill", rect.fill) + "/>\n";
  }
  if (rect.stroke.a > 0 && rect.stroke_width > 0) {
    // The raster draws outlines inside the edge; an SVG stroke is centred on it, so inset.
    const float half = rect.stroke_width * 0.5f;
    out += "<rect x=\"" + number(rect.x + half) + "\" y=\"" + number(rect.y + half) +
           "\" width=\"" + number(rect.width - rect.stroke_width) + "\" height=\"" +
           number(rect.height - rect.stroke_width) + "\"" + corner + " fill=\"none\" " +
           paint("stroke", rect.stroke) + " stroke-width=\"" + number(rect.stroke_width) + "\"/>\n";
  }
}

void write(std::string& out, const PathShape& path) {
  std::string d = "M" + number(path.start.x) + " " + number(path.start.y);
  for (const PathSegment& s : path.segments) {
    switch (s.kind) {
      case PathSegment::Kind::kLine:
        d += " L" + number(s.end.x) + " " + number(s.end.y);
        break;
      case PathSegment::Kind::kQuadratic:
        d += " Q" + number(s.control1.x) + " " + number(s.control1.y) + " " + number(s.end.x) +
             " " + number(s.end.y);
        break;
      case PathSegment::Kind::kCubic:
        d += " C" + number(s.control1.x) + " " + number(s.control1.y) + " " + number(s.control2.x) +
             " " + number(s.control2.y) + " " + number(s.end.x) + " " + number(s.end.y);
        break;
    }
  }
  out += "<path d=\"" + d + "\" fill=\"none\" " + paint("stroke", path.stroke) +
         " stroke-width=\"" + number(path.width) + "\" stroke-linecap=\"" +
         (path.round_caps ? "round" : "butt") + "\"/>\n";
}

void write(std::string& out, const TextShape& text) {
  static const char* kAnchor[] = {"start", "middle", "end"};
  // Vertical text is placed by a transform (translate, then rotate about the origin), the form
  // every SVG renderer supports, rather than rotate(angle cx cy).
  const std::string x = text.vertical ? "0" : number(text.x);
  const std::string y = text.vertical ? "0" : number(text.y);
  out += "<text x=\"" + x + "\" y=\"" + y + "\" font-size=\"" + number(text.size) + "\" " +
         paint("fill", text.color);
  if (text.anchor != TextAnchor::kStart) {
    out += std::string(" text-anchor=\"") + kAnchor[static_cast<int>(text.anchor)] + "\"";
  }
  if (text.vertical) {
    out += " transform=\"translate(" + number(text.x) + " " + number(text.y) + ") rotate(-90)\"";
  }
  out += '>';
  out += xml_escape(text.text);
  out += "</text>\n";
}

void write(std::string& out, const CellGridShape& grid) {
  if (static_cast<long>(grid.rows) * grid.cols <= kMaxCellRects) {
    out += "<g shape-rendering=\"crispEdges\">\n";
    for (int r = 0; r < grid.rows; ++r) {
      for (int c = 0; c < grid.cols; ++c) {
        const Rgba color = grid.colors[static_cast<size_t>(r) * grid.cols + c];
        if (color.a == 0) continue;
        out += "<rect x=\"" + number(grid.x + c * grid.cell_width) + "\" y=\"" +
               number(grid.y + r * grid.cell_height) + "\" width=\"" + number(grid.cell_width) +
               "\" height=\"" + number(grid.cell_height) + "\" " + paint("fill", color) + "/>\n";
      }
    }
    out += "</g>\n";
    return;
  }
  std::vector<uint8_t> pixels(static_cast<size_t>(grid.rows) * grid.cols * 4);
  for (size_t i = 0; i < grid.colors.size(); ++i) {
    pixels[i * 4] = grid.colors[i].r;
    pixels[i * 4 + 1] = grid.colors[i].g;
    pixels[i * 4 + 2] = grid.colors[i].b;
    pixels[i * 4 + 3] = grid.colors[i].a;
  }
  Result<std::string> png = encode_png_rgba(pixels.data(), grid.cols, grid.rows);
  if (!png.ok()) return;  // only on allocation failure; the figure then lacks this grid
  out += "<image x=\"" + number(grid.x) + "\" y=\"" + number(grid.y) + "\" width=\"" +
         number(grid.cell_width * grid.cols) + "\" height=\"" +
         number(grid.cell_height * grid.rows) +
         "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
         "xlink:href=\"data:image/png;base64," +
         base64(*png) + "\"/>\n";
}

}  // namespace

std::string xml_escape(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (char32_t cp : decode_utf8(utf8)) {
    switch (cp) {
      case U'&':
        out += "&amp;";
        break;
      case U'<':
        out += "&lt;";
        break;
      case U'>':
        out += "&gt;";
        break;
      case U'"':
        out += "&quot;";
        break;
      case U'\'':
        out += "&apos;";
        break;
      default: {
        const bool allowed = cp == U'\t' || cp == U'\n' || cp == U'\r' ||
                             (cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF);
        append_utf8(out, allowed ? cp : 0xFFFD);
      }
    }
  }
  return out;
}

std::string render_svg(const Figure& figure, int scale) {
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
      "version=\"1.1\" width=\"" +
      number(figure.width * scale) + "\" height=\"" + number(figure.height * scale) +
      "\" viewBox=\"0 0 " + number(figure.width) + " " + number(figure.height) + "\">\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + number(figure.width) + "\" height=\"" +
         number(figure.height) + "\" " + paint("fill", figure.background) + "/>\n";
  out += "<g font-family=\"DejaVu Sans\">\n";
  for (const Shape& shape : figure.shapes) {
    std::visit([&](const auto& item) { write(out, item); }, shape);
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace attnviz
