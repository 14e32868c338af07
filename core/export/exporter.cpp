#include "core/export/exporter.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "core/atomic_file.h"
#include "core/export/json.h"
#include "core/export/npy.h"
#include "core/export/png.h"
#include "core/export/raster.h"
#include "core/export/svg.h"

namespace attnviz {

const char* export_format_name(ExportFormat format) {
  switch (format) {
    case ExportFormat::kPng:
      return "png";
    case ExportFormat::kSvg:
      return "svg";
    case ExportFormat::kJson:
      return "json";
    case ExportFormat::kNpy:
      return "npy";
  }
  return "?";
}

Result<ExportFormat> parse_export_format(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (ExportFormat format :
       {ExportFormat::kPng, ExportFormat::kSvg, ExportFormat::kJson, ExportFormat::kNpy}) {
    if (lower == export_format_name(format)) return format;
  }
  return make_error("unknown format '" + std::string(name) + "': use png, svg, json or npy");
}

Result<ExportFormat> export_format_from_path(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  if (extension.empty()) {
    return make_error("cannot tell the format of '" + path.string() +
                      "': give it an extension (.png, .svg, .json, .npy) or use --format");
  }
  Result<ExportFormat> format = parse_export_format(extension.substr(1));
  if (!format.ok()) {
    return make_error("unknown file extension '" + extension + "' in '" + path.string() +
                      "': use .png, .svg, .json or .npy, or give --format");
  }
  return format;
}

Status export_data(const AttentionTrace& trace, ExportFormat format,
                   const std::filesystem::path& path) {
  if (format == ExportFormat::kJson) return write_attention_json(trace, path);
  if (format == ExportFormat::kNpy) return write_attention_npy(trace, path);
  return make_error(std::string(export_format_name(format)) + " is a figure format, not data");
}

Status export_figure(const AttentionReader& reader, const ViewSpec& view,
                     std::span<const float> whole_map, ExportFormat format, const FigureSpec& spec,
                     const std::filesystem::path& path, const Font* font, Rect* picture) {
  if (!is_figure_format(format))
    return make_error(std::string(export_format_name(format)) + " is data, not a figure format");
  std::optional<Font> loaded;
  if (!font) {
    Result<Font> result = Font::load_default();
    if (!result.ok()) return result.error();
    loaded = std::move(result.value());
    font = &*loaded;
  }
  Rect where;
  Result<Figure> figure = build_figure(reader, view, whole_map, spec, *font, &where);
  if (!figure.ok()) return figure.error();
  if (picture) {
    const float s = static_cast<float>(spec.scale);
    *picture = {where.x0 * s, where.y0 * s, where.x1 * s, where.y1 * s};
  }
  if (format == ExportFormat::kSvg) return write_file_atomic(path, render_svg(*figure, spec.scale));
  Result<Canvas> canvas = render_raster(*figure, *font, spec.scale);
  if (!canvas.ok()) return canvas.error();
  return write_png(*canvas, path);
}

}  // namespace attnviz
