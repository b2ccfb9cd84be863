/* libFuzzer target: a hostile driver. The input fills guest RAM and then plays a sequence of
 * virtio-mmio register reads and writes (status, features, queue setup, notify, ack, config
 * space) against a virtio-blk device on a small image file and a virtio-rng device. The oracle
 * is the sanitizers plus termination: nothing a driver does may crash or hang the host. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "devices/virtio/devices.h"
#include "devices/virtio/mmio.h"
#include "machine/machine.h"

#define RAM_GPA	 0x80000000ULL
#define RAM_SIZE 0x20000ULL
#define MMIO0	 0x10001000ULL

static struct machine m;
static struct virtio_dev *devs[2];
static struct virtio_mmio t[2];
static char disk_path[64];

static void irq_ignore(void *opaque, unsigned line, bool level)
{
	(void)opaque;
	(void)line;
	(void)level;
}

static void setup(void)
{
	struct disk_config dc = {.path = disk_path};
	int fd;

	log_set_level(LOG_ERROR);
	setenv("GASANG_NO_URING", "1", 1);
	strcpy(disk_path, "/tmp/gasang-fuzz-blk-XXXXXX");
	fd = mkstemp(disk_path);
	if (fd < 0 || ftruncate(fd, 64 * 1024))
		abort();
	close(fd);
	bus_init(&m.mmio, "mmio");
	m.irq_set = irq_ignore;
	if (gmem_add_ram(&m.mem, RAM_GPA, RAM_SIZE) || virtio_blk_create(&m, &dc, 0, &devs[0]) ||
	    virtio_rng_create(&m, &devs[1]) || virtio_mmio_attach(&t[0], devs[0], MMIO0, 1) ||
	    virtio_mmio_attach(&t[1], devs[1], MMIO0 + 0x1000, 2))
		abort();
	unlink(disk_path); /* the open fd keeps it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ram_bytes;

	if (!devs[0])
		setup();
	/* Fresh device state for each input: a reset as the driver would write it. */
	for (int i = 0; i < 2; i++)
		bus_write(&m.mmio, MMIO0 + 0x1000ULL * i + 0x70, 4, 0);
	/* First byte: how much of the input is RAM content (in 256-byte units). */
	if (!size)
		return 0;
	ram_bytes = (size_t)data[0] * 256;
	data++, size--;
	if (ram_bytes > size)
		ram_bytes = size;
	memset(m.mem.r[0].hva, 0, RAM_SIZE);
	memcpy(m.mem.r[0].hva, data, ram_bytes);
	data += ram_bytes, size -= ram_bytes;
	/* Then 8-byte ops: device, access size, register offset (12 bits), value. */
	for (; size >= 8; data += 8, size -= 8) {
		uint64_t base = MMIO0 + 0x1000ULL * (data[0] & 1);
		unsigned sz = 1u << ((data[0] >> 1) & 3);
		uint64_t off = (data[1] | (uint64_t)data[2] << 8) & 0xfff;
		uint32_t val;
		uint64_t got;

		memcpy(&val, data + 4, 4);
		/* Addresses the driver programs are mostly pointed into RAM. */
		if ((data[0] & 0x80) && off >= 0x80 && off <= 0xa4 && !(off & 4))
			val = (uint32_t)(RAM_GPA + val % RAM_SIZE);
		if ((data[0] & 0x80) && off >= 0x80 && off <= 0xa4 && (off & 4))
			val = 0;
		if (data[3] & 1)
			bus_read(&m.mmio, base + off, sz, &got);
		else
			bus_write(&m.mmio, base + off, sz, val);
	}
	return 0;
}
