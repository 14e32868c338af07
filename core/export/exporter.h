// One entry point for every export format, shared by `attnviz export` and the GUI's export
// menu: figures (PNG, SVG) from a FigureSpec, data (JSON, NPY) of the whole trace. Every format
// is written atomically, so a failed export leaves the target as it was.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/attention_trace.h"
#include "core/export/figures.h"
#include "core/export/font.h"
#include "core/result.h"

namespace attnviz {

enum class ExportFormat { kPng, kSvg, kJson, kNpy };

const char* export_format_name(ExportFormat format);
// "png", "svg", "json" or "npy" (any case).
Result<ExportFormat> parse_export_format(std::string_view name);
// The format named by the file's extension; an Error lists the known extensions.
Result<ExportFormat> export_format_from_path(const std::filesystem::path& path);

// Writes `trace` to `path` in `format`. Figures use `spec` and `font` (DejaVu Sans is loaded
// when font is null); data formats ignore both.
Status export_trace(const AttentionTrace& trace, ExportFormat format, const FigureSpec& spec,
                    const std::filesystem::path& path, const Font* font = nullptr);

}  // namespace attnviz
