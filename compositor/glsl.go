package compositor

// Shaders of the GL device. A surface is one quad: the vertex shader maps a unit square onto the
// surface's displayed rectangle in desktop coordinates (y down), the fragment shader samples the
// surface's texture (premultiplied RGBA) and forces alpha to 1 for opaque surfaces. Blending is
// ONE, ONE_MINUS_SRC_ALPHA: source-over for premultiplied alpha, identical to image/draw.Over.
const (
	glslVertex = `#version 330 core
layout(location = 0) in vec2 corner;
uniform vec4 rect; // x, y, w, h in desktop pixels
uniform vec2 view; // desktop size in desktop pixels
out vec2 uv;
void main() {
	vec2 p = rect.xy + corner * rect.zw;
	gl_Position = vec4(p.x / view.x * 2.0 - 1.0, 1.0 - p.y / view.y * 2.0, 0.0, 1.0);
	uv = corner;
}
` + "\x00"

	glslFragment = `#version 330 core
in vec2 uv;
uniform sampler2D tex;
uniform bool opaque;
out vec4 color;
void main() {
	vec4 c = texture(tex, uv);
	if (opaque) {
		c.a = 1.0;
	}
	color = c;
}
` + "\x00"
)
