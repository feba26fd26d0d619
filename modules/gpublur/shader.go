package main

// blurShader is the box blur of modules/internal/boxblur on the GPU, in one dispatch: each
// 16x16 work group loads its tile and a margin of up to 8 pixels into shared memory, takes the
// rounded mean along rows (counting only pixels inside the image, as the CPU blur does), then
// along columns of that result. Integer arithmetic on 8-bit values makes it match the CPU
// blur exactly.
const blurShader = `#version 430
layout(local_size_x = 16, local_size_y = 16) in;
layout(rgba8, binding = 0) readonly uniform image2D src;
layout(rgba8, binding = 1) writeonly uniform image2D dst;
uniform int radius; // 1..8
const int T = 16, M = 8, S = T + 2 * M;
shared uvec4 tile[S][S];
shared uvec4 rows[S][T];
void main() {
  ivec2 size = imageSize(src);
  ivec2 base = ivec2(gl_WorkGroupID.xy) * T - M;
  ivec2 l = ivec2(gl_LocalInvocationID.xy);
  for (int y = l.y; y < S; y += T) {
    for (int x = l.x; x < S; x += T) {
      ivec2 p = base + ivec2(x, y);
      uvec4 v = uvec4(0u);
      if (all(greaterThanEqual(p, ivec2(0))) && all(lessThan(p, size))) {
        v = uvec4(round(imageLoad(src, p) * 255.0));
      }
      tile[y][x] = v;
    }
  }
  barrier();
  int gx = int(gl_WorkGroupID.x) * T + l.x;
  for (int y = l.y; y < S; y += T) {
    uvec4 sum = uvec4(0u);
    uint n = 0u;
    for (int dx = -radius; dx <= radius; dx++) {
      int x = gx + dx;
      if (x >= 0 && x < size.x) { sum += tile[y][l.x + M + dx]; n++; }
    }
    n = max(n, 1u);
    rows[y][l.x] = (sum + n / 2u) / n;
  }
  barrier();
  ivec2 g = ivec2(gl_GlobalInvocationID.xy);
  if (g.x >= size.x || g.y >= size.y) return;
  uvec4 sum = uvec4(0u);
  uint n = 0u;
  for (int dy = -radius; dy <= radius; dy++) {
    int y = g.y + dy;
    if (y >= 0 && y < size.y) { sum += rows[l.y + M + dy][l.x]; n++; }
  }
  imageStore(dst, g, vec4((sum + n / 2u) / n) / 255.0);
}
`

// maxRadius is the largest radius the shader's margin holds.
const maxRadius = 8
