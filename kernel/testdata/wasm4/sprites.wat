;; blit and blitSub: 1 and 2 bits per pixel, flip X, flip Y, rotate, a sub-rectangle of a
;; sheet, transparency through DRAW_COLORS, and sprites clipped by the screen's edges.
;; 0x2000: an 8x8 1bpp arrow pointing right; 0x2010: an 8x8 2bpp tile (4 colour bands);
;; 0x2020: a 16x8 1bpp sheet of two glyphs side by side (a box and a cross), 2 bytes a row.
(data (i32.const 0x2000) "\18\1c\fe\ff\ff\fe\1c\18")
(data (i32.const 0x2010) "\00\00\55\55\aa\aa\ff\ff\1b\1b\1b\1b\e4\e4\e4\e4")
(data (i32.const 0x2020) "\ff\81\81\42\81\24\81\18\81\18\81\24\81\42\ff\81")
(func $row (param $y i32) (param $flags i32)
  ;; the arrow plain, flipped X, flipped Y, rotated, rotated+flipped
  (call $blit (i32.const 0x2000) (i32.const 4) (local.get $y) (i32.const 8) (i32.const 8) (local.get $flags))
  (call $blit (i32.const 0x2000) (i32.const 16) (local.get $y) (i32.const 8) (i32.const 8) (i32.or (local.get $flags) (i32.const 2)))
  (call $blit (i32.const 0x2000) (i32.const 28) (local.get $y) (i32.const 8) (i32.const 8) (i32.or (local.get $flags) (i32.const 4)))
  (call $blit (i32.const 0x2000) (i32.const 40) (local.get $y) (i32.const 8) (i32.const 8) (i32.or (local.get $flags) (i32.const 8)))
  (call $blit (i32.const 0x2000) (i32.const 52) (local.get $y) (i32.const 8) (i32.const 8) (i32.or (local.get $flags) (i32.const 14))))
(func (export "update")
  ;; 1bpp: ink colour 4 on transparent, then on colour 2
  (i32.store16 (i32.const 0x14) (i32.const 0x40))
  (call $row (i32.const 4) (i32.const 0))
  (i32.store16 (i32.const 0x14) (i32.const 0x42))
  (call $row (i32.const 16) (i32.const 0))
  ;; 2bpp tile with all four colours, then with colour 0 transparent, flipped and rotated
  (i32.store16 (i32.const 0x14) (i32.const 0x4321))
  (call $blit (i32.const 0x2010) (i32.const 4) (i32.const 30) (i32.const 8) (i32.const 8) (i32.const 1))
  (call $blit (i32.const 0x2010) (i32.const 16) (i32.const 30) (i32.const 8) (i32.const 8) (i32.const 3))
  (call $blit (i32.const 0x2010) (i32.const 28) (i32.const 30) (i32.const 8) (i32.const 8) (i32.const 9))
  (i32.store16 (i32.const 0x14) (i32.const 0x4320))
  (call $blit (i32.const 0x2010) (i32.const 40) (i32.const 30) (i32.const 8) (i32.const 8) (i32.const 5))
  ;; blitSub: the cross (x 8..15) of the sheet, and the box, scaled up by drawing a grid
  (i32.store16 (i32.const 0x14) (i32.const 0x30))
  (call $blitSub (i32.const 0x2020) (i32.const 4) (i32.const 44) (i32.const 8) (i32.const 8) (i32.const 8) (i32.const 0) (i32.const 16) (i32.const 0))
  (call $blitSub (i32.const 0x2020) (i32.const 16) (i32.const 44) (i32.const 8) (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 0))
  ;; a 6x4 part of the cross, from (1, 2), flipped in X
  (call $blitSub (i32.const 0x2020) (i32.const 28) (i32.const 44) (i32.const 6) (i32.const 4) (i32.const 9) (i32.const 2) (i32.const 16) (i32.const 2))
  ;; clipped by every edge
  (i32.store16 (i32.const 0x14) (i32.const 0x4))
  (call $blit (i32.const 0x2000) (i32.const -4) (i32.const 70) (i32.const 8) (i32.const 8) (i32.const 0))
  (call $blit (i32.const 0x2000) (i32.const 156) (i32.const 70) (i32.const 8) (i32.const 8) (i32.const 0))
  (call $blit (i32.const 0x2000) (i32.const 80) (i32.const -4) (i32.const 8) (i32.const 8) (i32.const 8))
  (call $blit (i32.const 0x2000) (i32.const 80) (i32.const 156) (i32.const 8) (i32.const 8) (i32.const 0))
  (call $ready))
