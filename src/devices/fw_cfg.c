/* QEMU's fw_cfg, port interface: write a 16-bit key to 0x510, read its bytes from 0x511. The
 * board adds the signature, interface ID, CPU count, RAM size, command line and an empty file
 * directory, so firmware and tools written for QEMU find them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pc_misc.h"
#include "machine/machine.h"

int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len)
{
	uint8_t *copy;

	if (f->n == FW_CFG_MAX_ITEMS)
		return -ENOSPC;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	f->items[f->n++] = (struct fw_cfg_item){key, copy, len};
	return 0;
}

void fw_cfg_free(struct fw_cfg *f)
{
	for (unsigned i = 0; i < f->n; i++)
		free(f->items[i].data);
	f->n = 0;
}

void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
	f->selector = key;
	f->offset = 0;
}

uint8_t fw_cfg_read_byte(struct fw_cfg *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		if (f->items[i].key != f->selector)
			continue;
		if (f->offset >= f->items[i].len)
			return 0;
		return f->items[i].data[f->offset++];
	}
	return 0;
}

static uint64_t fw_cfg_read(void *opaque, uint64_t off, unsigned size)
{
	struct fw_cfg *f = opaque;
	uint64_t v = 0;

	if (off != 1)
		return 0;
	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < size; i++) /* wider reads: bytes in order, as QEMU does */
		v |= (uint64_t)fw_cfg_read_byte(f) << (8 * i);
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void fw_cfg_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *f = opaque;

	if (off != 0 || size != 2)
		return;
	pthread_mutex_lock(&f->lock);
	fw_cfg_select(f, (uint16_t)val);
	pthread_mutex_unlock(&f->lock);
}

static const struct bus_ops fw_cfg_ops = {.read = fw_cfg_read, .write = fw_cfg_write};

int fw_cfg_init(struct fw_cfg *f, struct machine *m)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	return bus_register(&m->pio, FW_CFG_PORT, 2, &fw_cfg_ops, f, "fw_cfg");
}
