// The kernel's linear memories (memlimit_cgo.go): wasmtime's host memory creator, so that every
// memory of a process is charged to one budget. Declarations match wasmtime 39's
// wasmtime/config.h and wasmtime/error.h; the library is linked by wasmtime-go.
#include <stddef.h>
#include <stdint.h>

typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_memorytype_t wasm_memorytype_t;
typedef struct wasmtime_error wasmtime_error_t;

typedef uint8_t *(*wasmtime_memory_get_callback_t)(void *env, size_t *byte_size, size_t *byte_capacity);
typedef wasmtime_error_t *(*wasmtime_memory_grow_callback_t)(void *env, size_t new_size);
typedef struct wasmtime_linear_memory {
	void *env;
	wasmtime_memory_get_callback_t get_memory;
	wasmtime_memory_grow_callback_t grow_memory;
	void (*finalizer)(void *);
} wasmtime_linear_memory_t;
typedef wasmtime_error_t *(*wasmtime_new_memory_callback_t)(void *env, const wasm_memorytype_t *ty,
	size_t minimum, size_t maximum, size_t reserved_size_in_bytes, size_t guard_size_in_bytes,
	wasmtime_linear_memory_t *memory_ret);
typedef struct wasmtime_memory_creator {
	void *env;
	wasmtime_new_memory_callback_t new_memory;
	void (*finalizer)(void *);
} wasmtime_memory_creator_t;

extern void wasmtime_config_host_memory_creator_set(wasm_config_t *, wasmtime_memory_creator_t *);
extern void wasmtime_config_memory_init_cow_set(wasm_config_t *, _Bool);
extern wasmtime_error_t *wasmtime_error_new(const char *);

// A budget: bytes in use against a limit, charged along the parent chain (process, then its
// process tree).
typedef struct orbital_budget orbital_budget;

orbital_budget *orbital_budget_new(int64_t limit, orbital_budget *parent);
void orbital_budget_release(orbital_budget *b);
orbital_budget *orbital_budget_enter(orbital_budget *b);
int orbital_budget_charge(orbital_budget *b, int64_t n);
void orbital_budget_uncharge(orbital_budget *b, int64_t n);
int64_t orbital_budget_used(orbital_budget *b);
int64_t orbital_budget_peak(orbital_budget *b);
int64_t orbital_budget_refused(orbital_budget *b);
void orbital_set_memory_creator(wasm_config_t *config);

// What a linear memory starts with (memimage.go): size bytes (a multiple of the host page) at
// offset in its set's images.
typedef struct orbital_image {
	size_t offset, size;
} orbital_image;

// The images of one module's defined memories, in order (size 0: a memory without data), one
// after another in the sealed memfd fd, mapped copy-on-write, or, without one (fd < 0),
// copied from data.
typedef struct orbital_image_set {
	int fd;
	uint8_t *data;
	int n;
	orbital_image img[];
} orbital_image_set;

// The images the memories this thread creates next start with, one per memory in order, and
// how many of them were taken: set around one instantiation.
typedef struct orbital_pending {
	const orbital_image_set *set;
	int next;
} orbital_pending;

orbital_image_set *orbital_image_set_new(int n, int fd, uint8_t *data, const int64_t *sizes);
void orbital_image_set_free(orbital_image_set *s);
orbital_pending orbital_images_enter(const orbital_image_set *s);
void orbital_images_restore(orbital_pending p);
