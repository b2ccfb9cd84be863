/* Guest physical memory: RAM regions backed by anonymous mappings, and bounds-checked
 * translation from guest physical addresses (gpa) to host virtual addresses (hva).
 * Every guest-controlled address goes through gmem_ptr() or the copy helpers. */
#ifndef GASANG_MACHINE_MEMORY_H
#define GASANG_MACHINE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 8

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	int n;
	uint64_t total;
};

/* Maps size bytes of zeroed RAM at gpa. Size and gpa must be page aligned, and the
 * region must not overlap another. Returns 0 or -errno. */
int gmem_add_ram(struct guest_mem *m, uint64_t gpa, uint64_t size);
void gmem_free(struct guest_mem *m);

/* Host pointer for [gpa, gpa+len) if the whole range lies inside one RAM region, else NULL.
 * Overflow safe: any gpa/len pair a guest can supply is accepted as input. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
const struct gmem_region *gmem_find(const struct guest_mem *m, uint64_t gpa);

/* Copy between guest and host. Return 0 or -EFAULT when any byte lies outside RAM. */
int gmem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);

/* Pages of guest RAM the host has actually backed (resident), in bytes: for RSS accounting. */
uint64_t gmem_resident_bytes(const struct guest_mem *m);

#endif
