;; A reactor service for the tests (kernel/service_test.go, system/services_real_test.go). Its
;; handler acts on the method's first letter: e echo, f fail ("bad input"), n a negative answer,
;; o a reply outside its memory, t trap, s spin forever, w work for a while then echo, r recv
;; (must be ERR_INVALID) then echo, p its pid (4 bytes), g "bad" and the payload gathered
;; (bit 61), b a gather list naming bytes outside its memory, a the payload answered by reply
;; itself with the payload in a region too (then a negative result, which is ignored).
(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "pid" (func $pid (result i32)))
  (import "orbital" "reply" (func $reply (param i64 i32 i32 i32 i32) (result i32)))
  (import "orbital" "region_create" (func $region_create (param i64) (result i32)))
  (import "orbital" "region_write" (func $region_write (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "bad input")
  (func (export "_initialize"))
  (func (export "orbital_service_buffer") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func (export "orbital_service_handle") (param $p i32) (param $n i32) (result i64)
    (local $m i32) (local $body i32) (local $plen i32) (local $i i32)
    (local.set $body (i32.add (i32.add (local.get $p) (i32.const 48))
      (i32.mul (i32.load offset=24 (local.get $p)) (i32.const 4))))
    (local.set $m (i32.load8_u (local.get $body)))
    (local.set $plen (i32.load offset=20 (local.get $p)))
    (local.set $body (i32.add (local.get $body) (i32.load offset=16 (local.get $p))))
    (if (i32.eq (local.get $m) (i32.const 116)) (then unreachable))
    (if (i32.eq (local.get $m) (i32.const 102)) (then (return
      (i64.or (i64.const 0x4000000000000000) (i64.or (i64.shl (i64.const 9) (i64.const 32)) (i64.const 64))))))
    (if (i32.eq (local.get $m) (i32.const 110)) (then (return (i64.const -1))))
    (if (i32.eq (local.get $m) (i32.const 111)) (then (return
      (i64.or (i64.shl (i64.const 10) (i64.const 32)) (i64.const 0xfffffff0)))))
    (if (i32.eq (local.get $m) (i32.const 115)) (then (loop $l (br $l))))
    (if (i32.eq (local.get $m) (i32.const 119)) (then
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $i) (i32.const 5000000)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))))
    (if (i32.eq (local.get $m) (i32.const 114)) (then
      (if (i32.ne (call $recv (i32.const 70000) (i32.const 100) (i64.const 0)) (i32.const -1)) (then unreachable))))
    (if (i32.eq (local.get $m) (i32.const 103)) (then
      (i64.store (i32.const 192) (i64.or (i64.shl (i64.const 3) (i64.const 32)) (i64.const 64)))
      (i32.store (i32.const 200) (local.get $body))
      (i32.store (i32.const 204) (local.get $plen))
      (return (i64.or (i64.const 0x2000000000000000) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 192))))))
    (if (i32.eq (local.get $m) (i32.const 98)) (then
      (i64.store (i32.const 192) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 0xfffffff0)))
      (return (i64.or (i64.const 0x2000000000000000) (i64.or (i64.shl (i64.const 8) (i64.const 32)) (i64.const 192))))))
    (if (i32.eq (local.get $m) (i32.const 97)) (then
      (i32.store (i32.const 208) (call $region_create (i64.extend_i32_u (local.get $plen))))
      (drop (call $region_write (i32.load (i32.const 208)) (i64.const 0) (local.get $body) (local.get $plen)))
      (i32.store (i32.const 212) (i32.const 5))
      (if (i32.ne (call $reply (i64.load offset=8 (local.get $p)) (local.get $body) (local.get $plen) (i32.const 208) (i32.const 1)) (i32.const 0))
        (then unreachable))
      (return (i64.const -1))))
    (if (i32.eq (local.get $m) (i32.const 112)) (then
      (i32.store (i32.const 128) (call $pid))
      (return (i64.or (i64.shl (i64.const 4) (i64.const 32)) (i64.const 128)))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $plen)) (i64.const 32)) (i64.extend_i32_u (local.get $body))))
)
