// One entry point for every export format, shared by `attnviz export` and the app's Export
// panel: figures (PNG, SVG) of a view (a trace and its ViewSpec, core/export/figures.h), data
// (JSON, NPY) of a whole trace. Every format is written atomically, so a failed export leaves
// the target as it was.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "core/attention_trace.h"
#include "core/export/figures.h"
#include "core/result.h"
#include "core/view/font.h"
#include "core/view/view_spec.h"

namespace attnviz {

enum class ExportFormat { kPng, kSvg, kJson, kNpy };

// Every format, in the order the app lists them.
std::vector<ExportFormat> export_formats();
const char* export_format_name(ExportFormat format);   // "png": extensions and --format
const char* export_format_label(ExportFormat format);  // "PNG", "NPY (L, H, T, T)": the menu
// "png", "svg", "json" or "npy" (any case).
Result<ExportFormat> parse_export_format(std::string_view name);
// The format named by the file's extension; an Error lists the known extensions.
Result<ExportFormat> export_format_from_path(const std::filesystem::path& path);
inline bool is_figure_format(ExportFormat format) {
  return format == ExportFormat::kPng || format == ExportFormat::kSvg;
}

// Writes the figure of a view (PNG or SVG) to `path`; DejaVu Sans is loaded when font is null.
// `picture` (optional) receives where the view's picture lies in the figure, in pixels of the
// written image.
Status export_figure(const AttentionReader& reader, const ViewSpec& view,
                     std::span<const float> whole_map, ExportFormat format, const FigureSpec& spec,
                     const std::filesystem::path& path, const Font* font = nullptr,
                     Rect* picture = nullptr);

// Writes the whole trace's (L, H, T, T) weights as JSON (with the tokens) or NPY.
Status export_data(const AttentionTrace& trace, ExportFormat format,
                   const std::filesystem::path& path);

}  // namespace attnviz
