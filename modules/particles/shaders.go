package main

// simShader moves every particle one step: a pull towards the attractor, a swirl around it,
// a little drag, and walls that bounce. A particle is two vec2s: position (clip space) and
// velocity.
const simShader = `#version 430
layout(local_size_x = 256) in;
struct Particle { vec2 pos; vec2 vel; };
layout(std430, binding = 0) buffer Particles { Particle p[]; };
uniform float dt;
uniform vec2 attractor;
uniform uint count;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= count) return;
  Particle q = p[i];
  vec2 d = attractor - q.pos;
  float r2 = dot(d, d) + 0.02;
  vec2 swirl = vec2(-d.y, d.x);
  q.vel += (0.3 * d / r2 + 0.35 * swirl / r2) * dt;
  q.vel *= 1.0 - 0.8 * dt;
  q.pos += q.vel * dt;
  if (abs(q.pos.x) > 1.0) { q.pos.x = sign(q.pos.x); q.vel.x = -0.5 * q.vel.x; }
  if (abs(q.pos.y) > 1.0) { q.pos.y = sign(q.pos.y); q.vel.y = -0.5 * q.vel.y; }
  p[i] = q;
}
`

// Each particle is a point coloured by its speed, blended over the others.
const pointVertex = `#version 430
layout(location = 0) in vec2 pos;
layout(location = 1) in vec2 vel;
out vec4 color;
void main() {
  gl_Position = vec4(pos, 0.0, 1.0);
  gl_PointSize = 1.5;
  float s = clamp(length(vel) * 0.8, 0.0, 1.0);
  color = vec4(mix(vec3(0.2, 0.5, 1.0), vec3(1.0, 0.6, 0.2), s), 1.0) * 0.55;
}
`

const pointFragment = `#version 430
in vec4 color;
out vec4 frag;
void main() { frag = color; }
`
