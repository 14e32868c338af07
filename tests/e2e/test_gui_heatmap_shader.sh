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

# A real shader with one line changed by the sed expression $1 must fail the self test ($2: the
# case, $3: what the change does, $4: what stderr must say).
expect_caught() {
  sed "$1" "$(dirname "$attnviz")/shaders/heatmap.frag" >"$scratch/broken/heatmap.frag"
  cmp -s "$(dirname "$attnviz")/shaders/heatmap.frag" "$scratch/broken/heatmap.frag" &&
    fail "could not plant '$3' in heatmap.frag (the line changed?)"
  ATTNVIZ_SHADER_DIR="$scratch/broken" run_gl "$attnviz" selftest-gl >"$scratch/$2.out" \
    2>"$scratch/$2.err"
  [ $? -ne 0 ] || fail "selftest-gl passed with a shader that $3"
  grep -q "$4" "$scratch/$2.err" || fail "$2: '$4' not reported"
}
# 3. A shader that compiles but colours wrongly (red everywhere) is caught by the pixel check.
expect_caught 's/frag_colour = vec4(texelFetch(u_colormap.*$/frag_colour = vec4(1.0, 0.0, 0.0, 1.0);/' \
  wrong "paints everything red" "wrong colour"
# 4. A shader that samples one cell per pixel (no max-pooling) loses thin diagonals of long
# texts; the pooled-pixel check must notice.
expect_caught 's/if (u_texels_per_pixel.x > 1.0 || u_texels_per_pixel.y > 1.0) {/if (false) {/' \
  nopool "does not pool long maps" "pooled pixel"
echo "PASS: heatmap shader self test (good passes; broken, wrong and unpooled shaders fail)"
