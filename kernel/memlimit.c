// The C half of the kernel's linear memories (memlimit_cgo.go). Plain C, no Go callbacks:
// wasmtime calls these on the guest's thread, in the middle of instantiation or memory.grow.
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "memlimit.h"

struct orbital_budget {
	_Atomic int64_t used;
	_Atomic int64_t peak;
	_Atomic int64_t refused;
	_Atomic int64_t refs;
	int64_t limit;
	orbital_budget *parent;
};

// The budget of the process whose thread this is (set by the process thread, runtime.LockOSThread).
static __thread orbital_budget *current;

// The images of the module this thread is instantiating (memimage_cgo.go).
static __thread orbital_pending pending;

// orbital_image_set_new takes fd (or, fd < 0, data, from malloc) and lays the n images of the
// given sizes out one after another.
orbital_image_set *orbital_image_set_new(int n, int fd, uint8_t *data, const int64_t *sizes) {
	orbital_image_set *s = calloc(1, sizeof *s + (size_t)n * sizeof s->img[0]);
	if (s == NULL) return NULL;
	s->fd = fd;
	s->data = data;
	s->n = n;
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		s->img[i].offset = off;
		s->img[i].size = (size_t)sizes[i];
		off += (size_t)sizes[i];
	}
	return s;
}

void orbital_image_set_free(orbital_image_set *s) {
	if (s == NULL) return;
	if (s->fd >= 0) close(s->fd);
	free(s->data);
	free(s);
}

orbital_pending orbital_images_enter(const orbital_image_set *s) {
	orbital_pending old = pending;
	pending.set = s;
	pending.next = 0;
	return old;
}

void orbital_images_restore(orbital_pending p) { pending = p; }

// next_image is the image of the memory being created, with its set, or NULL.
static const orbital_image *next_image(const orbital_image_set **set) {
	*set = pending.set;
	if (pending.set == NULL || pending.next >= pending.set->n) return NULL;
	const orbital_image *img = &pending.set->img[pending.next++];
	return img->size > 0 ? img : NULL;
}

orbital_budget *orbital_budget_new(int64_t limit, orbital_budget *parent) {
	orbital_budget *b = calloc(1, sizeof *b);
	if (b == NULL) return NULL;
	b->limit = limit;
	b->parent = parent;
	atomic_store(&b->refs, 1);
	if (parent != NULL) atomic_fetch_add(&parent->refs, 1);
	return b;
}

void orbital_budget_release(orbital_budget *b) {
	while (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
		orbital_budget *p = b->parent;
		free(b);
		b = p;
	}
}

orbital_budget *orbital_budget_enter(orbital_budget *b) {
	orbital_budget *old = current;
	current = b;
	return old;
}

int orbital_budget_charge(orbital_budget *b, int64_t n) {
	for (orbital_budget *x = b; x != NULL; x = x->parent) {
		int64_t now = atomic_fetch_add(&x->used, n) + n;
		if (now > x->limit) {
			for (orbital_budget *y = b; y != x->parent; y = y->parent) atomic_fetch_sub(&y->used, n);
			atomic_fetch_add(&x->refused, 1);
			return 0;
		}
		int64_t peak = atomic_load(&x->peak);
		while (now > peak && !atomic_compare_exchange_weak(&x->peak, &peak, now)) {
		}
	}
	return 1;
}

void orbital_budget_uncharge(orbital_budget *b, int64_t n) {
	for (orbital_budget *x = b; x != NULL; x = x->parent) atomic_fetch_sub(&x->used, n);
}

int64_t orbital_budget_used(orbital_budget *b) { return atomic_load(&b->used); }
int64_t orbital_budget_peak(orbital_budget *b) { return atomic_load(&b->peak); }
int64_t orbital_budget_refused(orbital_budget *b) { return atomic_load(&b->refused); }

// A linear memory: reserved (never moves) + guard bytes of address space, of which the first
// size bytes are readable and writable and charged to the budget.
typedef struct {
	uint8_t *base;
	size_t size, reserved, guard;
	orbital_budget *budget;
} memory;

static size_t page_round(size_t n) {
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) / pg * pg;
}

static uint8_t *mem_get(void *env, size_t *size, size_t *capacity) {
	memory *m = env;
	*size = m->size;
	*capacity = m->reserved;
	return m->base;
}

static wasmtime_error_t *mem_grow(void *env, size_t new_size) {
	memory *m = env;
	if (new_size <= m->size) return NULL;
	if (new_size > m->reserved) return wasmtime_error_new("orbital: memory limit reached (beyond the reservation)");
	size_t delta = new_size - m->size;
	if (!orbital_budget_charge(m->budget, (int64_t)delta)) return wasmtime_error_new("orbital: memory limit reached");
	size_t from = page_round(m->size), to = page_round(new_size);
	if (to > from && mprotect(m->base + from, to - from, PROT_READ | PROT_WRITE) != 0) {
		orbital_budget_uncharge(m->budget, (int64_t)delta);
		return wasmtime_error_new("orbital: mprotect failed while growing a memory");
	}
	m->size = new_size;
	return NULL;
}

static void mem_free(void *env) {
	memory *m = env;
	munmap(m->base, m->reserved + m->guard);
	orbital_budget_uncharge(m->budget, (int64_t)m->size);
	orbital_budget_release(m->budget);
	free(m);
}

// map_initial makes the first minimum bytes at p readable and writable, starting with img:
// its memfd mapped privately (copy-on-write: pages the guest never writes stay shared with
// every other instance of the module and are never touched here), or its bytes copied.
static int map_initial(uint8_t *p, size_t minimum, const orbital_image_set *set, const orbital_image *img) {
	size_t mapped = 0;
	if (img != NULL && set->fd >= 0) {
		if (mmap(p, img->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, set->fd, (off_t)img->offset) == MAP_FAILED) return 0;
		mapped = img->size;
	}
	size_t rw = page_round(minimum);
	if (rw > mapped && mprotect(p + mapped, rw - mapped, PROT_READ | PROT_WRITE) != 0) return 0;
	if (img != NULL && set->fd < 0) memcpy(p, set->data + img->offset, img->size);
	return 1;
}

static wasmtime_error_t *mem_new(void *env, const wasm_memorytype_t *ty, size_t minimum, size_t maximum,
		size_t reserved, size_t guard, wasmtime_linear_memory_t *ret) {
	(void)env;
	(void)ty;
	orbital_budget *b = current;
	if (b == NULL) return wasmtime_error_new("orbital: a linear memory was created outside a process thread");
	if (reserved == 0) { // a memory that may move: reserve what the budget could ever allow
		reserved = maximum;
		if (reserved > (size_t)b->limit) reserved = (size_t)b->limit;
	}
	if (reserved < minimum) reserved = minimum;
	reserved = page_round(reserved);
	guard = page_round(guard);
	const orbital_image_set *set;
	const orbital_image *img = next_image(&set);
	if (img != NULL && img->size > minimum) return wasmtime_error_new("orbital: a memory image larger than its memory");
	if (!orbital_budget_charge(b, (int64_t)minimum)) {
		return wasmtime_error_new("orbital: memory limit reached: the process's memories would exceed its ceiling");
	}
	void *p = mmap(NULL, reserved + guard, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		orbital_budget_uncharge(b, (int64_t)minimum);
		return wasmtime_error_new("orbital: cannot reserve address space for a linear memory");
	}
	if (!map_initial(p, minimum, set, img)) {
		munmap(p, reserved + guard);
		orbital_budget_uncharge(b, (int64_t)minimum);
		return wasmtime_error_new("orbital: cannot map a new linear memory");
	}
	memory *m = malloc(sizeof *m);
	if (m == NULL) {
		munmap(p, reserved + guard);
		orbital_budget_uncharge(b, (int64_t)minimum);
		return wasmtime_error_new("orbital: out of memory");
	}
	m->base = p;
	m->size = minimum;
	m->reserved = reserved;
	m->guard = guard;
	m->budget = b;
	atomic_fetch_add(&b->refs, 1);
	ret->env = m;
	ret->get_memory = mem_get;
	ret->grow_memory = mem_grow;
	ret->finalizer = mem_free;
	return NULL;
}

void orbital_set_memory_creator(wasm_config_t *config) {
	wasmtime_memory_creator_t c = {NULL, mem_new, NULL};
	wasmtime_config_host_memory_creator_set(config, &c);
}
