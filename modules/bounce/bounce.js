// Bounce: Orbital's JavaScript demo. Balls bounce around a window; a click adds one where you
// click, space pauses, c clears, and the window can be resized. It answers requests on
// bounce.count with {balls, frames} as JSON:
//   orbital run modules/bounce/bounce.js
const win = orbital.openWindow(360, 240, 'Bounce')
const colours = ['#f0c020', '#e04050', '#40c070', '#4090f0', '#c060e0']
const balls = []
let paused = false
let frames = 0
let last = 0

function add(x, y) {
  const i = balls.length
  balls.push({x, y, r: 12 + (i * 7) % 14, vx: 90 + (i * 53) % 120, vy: 70 + (i * 37) % 110,
               colour: colours[i % colours.length]})
}

for (const [x, y] of [[60, 70], [180, 140], [290, 90]]) add(x, y)

function step(dt) {
  const h = win.height
  for (const b of balls) {
    b.x += b.vx * dt
    b.y += b.vy * dt
    if (b.x < b.r) { b.x = b.r; b.vx = Math.abs(b.vx) }
    if (b.x > win.width - b.r) { b.x = win.width - b.r; b.vx = -Math.abs(b.vx) }
    if (b.y < 24 + b.r) { b.y = 24 + b.r; b.vy = Math.abs(b.vy) }
    if (b.y > h - b.r) { b.y = h - b.r; b.vy = -Math.abs(b.vy) }
  }
}

function draw() {
  win.fillStyle = '#102040'
  win.fillRect(0, 0, win.width, win.height)
  for (const b of balls) {
    win.fillStyle = b.colour
    win.fillCircle(b.x, b.y, b.r)
  }
  win.fillStyle = '#f0c020'
  win.fillRect(0, 0, win.width, 24)
  win.fillStyle = '#102040'
  win.fillText(`JavaScript: ${balls.length} balls${paused ? ' (paused)' : ''}`, 8, 16)
}

function frame(ts) {
  const dt = last ? Math.min((ts - last) / 1000, 0.1) : 0
  last = ts
  if (!paused) step(dt)
  draw()
  frames++
  requestAnimationFrame(frame)
}
requestAnimationFrame(frame)

win.on('mousedown', e => { if (e.y > 24) add(e.x, e.y) })
win.on('keydown', e => {
  if (e.key === ' ') paused = !paused
  if (e.key === 'c') balls.length = 0
})

orbital.bus.serve('bounce.count', () => ({balls: balls.length, frames}))
