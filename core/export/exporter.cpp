#include "core/export/exporter.h"

#include <algorithm>
#include <array>
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

namespace {

// One row per format: what the file extension and --format say, what the app's menu says.
struct FormatInfo {
  ExportFormat format;
  const char* name;
  const char* label;
};
constexpr std::array<FormatInfo, 5> kFormats = {{
    {ExportFormat::kPng, "png", "PNG"},
    {ExportFormat::kSvg, "svg", "SVG"},
    {ExportFormat::kJson, "json", "JSON (tokens + weights)"},
    {ExportFormat::kNpy, "npy", "NPY (L, H, T, T)"},
    {ExportFormat::kSafetensors, "safetensors", "safetensors (L, H, T, T)"},
}};

const FormatInfo& info(ExportFormat format) {
  for (const FormatInfo& row : kFormats)
    if (row.format == format) return row;
  return kFormats.front();
}

}  // namespace

std::vector<ExportFormat> export_formats() {
  std::vector<ExportFormat> formats;
  for (const FormatInfo& row : kFormats) formats.push_back(row.format);
  return formats;
}

const char* export_format_name(ExportFormat format) {
  return info(format).name;
}
const char* export_format_label(ExportFormat format) {
  return info(format).label;
}

Result<ExportFormat> parse_export_format(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string names;
  for (const FormatInfo& row : kFormats) {
    if (lower == row.name) return row.format;
    names += names.empty() ? "" : (&row == &kFormats.back() ? " or " : ", ");
    names += row.name;
  }
  return make_error("unknown format '" + std::string(name) + "': use " + names);
}

Result<ExportFormat> export_format_from_path(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  if (extension.empty()) {
    return make_error("cannot tell the format of '" + path.string() +
                      "': give it an extension (.png, .svg, .json, .npy, .safetensors) or use "
                      "--format");
  }
  Result<ExportFormat> format = parse_export_format(extension.substr(1));
  if (!format.ok()) {
    return make_error("unknown file extension '" + extension + "' in '" + path.string() +
                      "': use .png, .svg, .json, .npy or .safetensors, or give --format");
  }
  return format;
}

DataSize data_export_size(TensorDims dims, ExportFormat format, const TensorSlice& slice) {
  const uint64_t weights = slice_weight_bytes(dims, slice) / sizeof(float);
  if (format == ExportFormat::kJson) return {weights * 2, false};  // "0," is the shortest
  const uint64_t header = format == ExportFormat::kNpy ? 128 : 0;  // safetensors: its tokens
  return {header + weights * sizeof(float), format != ExportFormat::kSafetensors};
}

std::string data_export_statement(TensorDims dims, ExportFormat format, const TensorSlice& slice) {
  const DataSize size = data_export_size(dims, format, slice);
  return slice_description(dims, slice) + ": " + (size.exact ? "" : "at least ") +
         byte_size_text(size.bytes);
}

Status check_room_for_data(const std::filesystem::path& path, TensorDims dims, ExportFormat format,
                           const TensorSlice& slice) {
  if (Status s = check_slice(dims, slice); !s.ok()) return s;
  return check_room_for(path, data_export_size(dims, format, slice).bytes,
                        slice_description(dims, slice));
}

Status export_data(const AttentionTrace& trace, ExportFormat format,
                   const std::filesystem::path& path, const TensorSlice& slice,
                   const RowProgress& progress) {
  if (is_figure_format(format))
    return make_error(std::string(export_format_name(format)) + " is a figure format, not data");
  if (Status room = check_room_for_data(path, dims_of(trace), format, slice); !room.ok())
    return room;
  Result<AtomicFileWriter> file = AtomicFileWriter::open(path);
  if (!file.ok()) return file.error();
  const ByteSink sink = [&file](std::string_view bytes) { return file->write(bytes); };
  Status written =
      format == ExportFormat::kJson  ? write_attention_json(trace, slice, sink, progress)
      : format == ExportFormat::kNpy ? write_attention_npy(trace, slice, sink, progress)
                                     : write_attention_safetensors(trace, slice, sink, progress);
  if (!written.ok()) return written;  // the writer removes its temporary file
  return file->commit();
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
