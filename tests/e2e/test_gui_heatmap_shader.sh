#!/usr/bin/env bash
# The heatmap shaders compile on this machine's OpenGL (Mesa llvmpipe under Xvfb) and colour a
# known 4x4 causal map with viridis within 2/255, masked cells masked (attnviz selftest-gl).
# A broken shader must be reported with the GLSL compile log, not crash or pass.
# usage: test_gui_heatmap_shader.sh <attnviz> <tests/data> <scratch dir>
set -u
attnviz="$1"
scratch="$3"
rm -rf "$scratch" && mkdir -p "$scratch"
fail() { echo "FAIL: $*" >&2; exit 1; }

run_gl() { xvfb-run -a -s "-screen 0 640x480x24" "$@"; }

# 1. The real shaders (found beside the executable) pass.
run_gl "$attnviz" selftest-gl >"$scratch/good.out" 2>"$scratch/good.err"
rc=$?
cat "$scratch/good.out" "$scratch/good.err"
[ "$rc" -eq 0 ] || fail "selftest-gl exited $rc"
grep -qx "PASS" "$scratch/good.out" || fail "selftest-gl did not print PASS"

# 2. A shader with a syntax error fails with the compiler's log naming the file.
mkdir -p "$scratch/broken"
cp "$(dirname "$attnviz")/shaders/heatmap.vert" "$scratch/broken/" 2>/dev/null ||
  cp "$(dirname "$0")/../../shaders/heatmap.vert" "$scratch/broken/"
printf '#version 330 core\nout vec4 frag_colour;\nvoid main() { frag_colour = vec4(1.0) }\n' \
  >"$scratch/broken/heatmap.frag"
ATTNVIZ_SHADER_DIR="$scratch/broken" run_gl "$attnviz" selftest-gl >"$scratch/bad.out" \
  2>"$scratch/bad.err"
rc=$?
cat "$scratch/bad.err"
[ "$rc" -ne 0 ] || fail "selftest-gl passed with a broken fragment shader"
grep -q "heatmap.frag" "$scratch/bad.err" || fail "error does not name heatmap.frag"
grep -qi "compile failed" "$scratch/bad.err" || fail "error does not carry the compile log"

# 3. A shader that compiles but colours wrongly (red everywhere) is caught by the pixel check.
sed 's/frag_colour = vec4(texelFetch(u_colormap.*$/frag_colour = vec4(1.0, 0.0, 0.0, 1.0);/' \
  "$(dirname "$attnviz")/shaders/heatmap.frag" >"$scratch/broken/heatmap.frag"
cmp -s "$(dirname "$attnviz")/shaders/heatmap.frag" "$scratch/broken/heatmap.frag" &&
  fail "could not plant the wrong colour in heatmap.frag (the colour-map line changed?)"
ATTNVIZ_SHADER_DIR="$scratch/broken" run_gl "$attnviz" selftest-gl >"$scratch/wrong.out" \
  2>"$scratch/wrong.err"
rc=$?
[ "$rc" -ne 0 ] || fail "selftest-gl passed with a shader that paints everything red"
grep -q "wrong colour" "$scratch/wrong.err" || fail "pixel mismatch not reported"
# 4. A shader that samples one cell per pixel (no max-pooling) loses thin diagonals of long
# texts; the pooled-pixel check must notice.
sed 's/if (u_texels_per_pixel.x > 1.0 || u_texels_per_pixel.y > 1.0) {/if (false) {/' \
  "$(dirname "$attnviz")/shaders/heatmap.frag" >"$scratch/broken/heatmap.frag"
cmp -s "$(dirname "$attnviz")/shaders/heatmap.frag" "$scratch/broken/heatmap.frag" &&
  fail "could not switch off pooling in heatmap.frag (the footprint line changed?)"
ATTNVIZ_SHADER_DIR="$scratch/broken" run_gl "$attnviz" selftest-gl >"$scratch/nopool.out" \
  2>"$scratch/nopool.err"
rc=$?
[ "$rc" -ne 0 ] || fail "selftest-gl passed with a shader that does not pool long maps"
grep -q "pooled pixel" "$scratch/nopool.err" || fail "pooling loss not reported"
echo "PASS: heatmap shader self test (good passes; broken, wrong and unpooled shaders fail)"
