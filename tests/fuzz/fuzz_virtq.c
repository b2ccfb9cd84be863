/* libFuzzer target: the split virtqueue against arbitrary guest RAM contents and ring
 * addresses. The oracle, besides the sanitizers: every iovec a chain yields lies inside guest
 * RAM, chains never exceed the queue size, and popping always terminates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "devices/virtio/queue.h"
#include "machine/memory.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x10000ULL

static struct guest_mem mem;
static struct virtq_chain chain;

static void check_inside(const struct virtq_chain *c, uint16_t num)
{
	const uint8_t *lo = mem.r[0].hva, *hi = lo + RAM_SIZE;

	if (c->nr + c->nw > num)
		abort();
	for (unsigned i = 0; i < c->nr + c->nw; i++) {
		const uint8_t *p = c->iov[i].iov_base;
		if (p < lo || p > hi || c->iov[i].iov_len > (size_t)(hi - p))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq q = {0};
	uint16_t ctl[6] = {0};
	uint8_t scratch[512];

	if (!mem.n) {
		log_set_level(LOG_ERROR);
		if (gmem_add_ram(&mem, RAM_GPA, RAM_SIZE))
			abort();
	}
	memcpy(ctl, data, size < sizeof(ctl) ? size : sizeof(ctl));
	data += size < sizeof(ctl) ? size : sizeof(ctl);
	size -= size < sizeof(ctl) ? size : sizeof(ctl);
	memset(mem.r[0].hva, 0, RAM_SIZE);
	memcpy(mem.r[0].hva, data, size < RAM_SIZE ? size : RAM_SIZE);

	/* Sizes (sometimes invalid) and addresses around RAM, including just outside it. */
	q.num = (uint16_t)(ctl[0] & 1 ? 1u << (ctl[0] >> 1) % 11 : ctl[0]);
	q.desc_gpa = RAM_GPA - 0x1000 + ctl[1] * 2ULL;
	q.avail_gpa = RAM_GPA - 0x1000 + ctl[2] * 2ULL;
	q.used_gpa = RAM_GPA - 0x1000 + ctl[3] * 2ULL;
	if (virtq_enable(&q, &mem, ctl[4] & 1))
		return 0;
	/* Random 64-bit addresses almost never hit RAM: on request, fold the table's addresses
	 * and lengths to the neighbourhood of RAM so the boundary checks get exercised. */
	if (ctl[4] & 2) {
		uint8_t *t = (uint8_t *)q.desc;
		for (unsigned i = 0; i < q.num; i++) {
			uint64_t a;
			uint32_t l;
			memcpy(&a, t + 16 * i, 8);
			memcpy(&l, t + 16 * i + 8, 4);
			a = RAM_GPA - 0x80 + a % (RAM_SIZE + 0x100);
			l %= 0x11000;
			memcpy(t + 16 * i, &a, 8);
			memcpy(t + 16 * i + 8, &l, 4);
		}
	}
	q.last_avail = ctl[5];
	q.used_idx = ctl[5];
	for (int i = 0; i < 2 * VIRTQ_MAX_SIZE; i++) {
		int r = virtq_pop(&q, &chain);
		if (r <= 0)
			break;
		check_inside(&chain, q.num);
		virtq_chain_read(&chain, 0, scratch, sizeof(scratch));
		virtq_chain_write(&chain, 3, scratch, sizeof(scratch));
		virtq_push(&q, chain.head, (uint32_t)chain.wlen);
		virtq_should_notify(&q);
	}
	return 0;
}
