#version 330 core
// One quad covering the render target; v_cell is the cell-space coordinate of each fragment.
// Cell space: x = key (right), y = query (down); the target's top edge shows u_cell_min.y.
uniform vec2 u_cell_min;  // cell coordinate at the target's top-left corner
uniform vec2 u_cell_max;  // cell coordinate at the target's bottom-right corner
out vec2 v_cell;

void main() {
  // Triangle strip: (0,0) (1,0) (0,1) (1,1) in target-relative units, y down.
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  v_cell = mix(u_cell_min, u_cell_max, corner);
  gl_Position = vec4(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0, 0.0, 1.0);
}
