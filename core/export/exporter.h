// One entry point for every export format, shared by `attnviz export` and the app's Export
// panel: figures (PNG, SVG) of a view (a trace and its ViewSpec, core/export/figures.h), data
// (JSON, NPY, safetensors) of a whole trace or a slice of its layers and heads, streamed. Every
// format is written atomically, so a failed export leaves the target as it was.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "core/attention_trace.h"
#include "core/export/figures.h"
#include "core/export/tensor_data.h"
#include "core/result.h"
#include "core/view/font.h"
#include "core/view/view_spec.h"

namespace attnviz {

enum class ExportFormat { kPng, kSvg, kJson, kNpy, kSafetensors };

// Every format, in the order the app lists them.
std::vector<ExportFormat> export_formats();
const char* export_format_name(ExportFormat format);   // "png": extensions and --format
const char* export_format_label(ExportFormat format);  // "PNG", "NPY (L, H, T, T)": the menu
// "png", "svg", "json", "npy" or "safetensors" (any case).
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

// The size of a data export: exact for NPY and safetensors; for JSON the least it can take
// (two characters a weight), since its numbers' lengths are known only once written.
struct DataSize {
  uint64_t bytes = 0;
  bool exact = true;
};
DataSize data_export_size(TensorDims dims, ExportFormat format, const TensorSlice& slice = {});
// "the (30, 9, 8192, 8192) float32 tensor: 72.5 GB" ("at least" for JSON).
std::string data_export_statement(TensorDims dims, ExportFormat format,
                                  const TensorSlice& slice = {});
// check_room_for with the export's size: lets a command refuse before a long run.
Status check_room_for_data(const std::filesystem::path& path, TensorDims dims, ExportFormat format,
                           const TensorSlice& slice = {});

// Writes a slice of the trace's weights (all of them by default) as JSON (with the tokens), NPY
// or safetensors, streamed a block of rows at a time: memory stays at a few MB whatever the
// tensor's size. Refused before anything is written when the slice is out of range or the disk
// has no room for it (the Error states the size and the free space). `progress` hears after
// every block of rows.
Status export_data(const AttentionTrace& trace, ExportFormat format,
                   const std::filesystem::path& path, const TensorSlice& slice = {},
                   const RowProgress& progress = {});

}  // namespace attnviz
