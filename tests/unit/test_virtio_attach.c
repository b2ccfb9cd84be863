/* Board wiring: devices from a vm_config land on the board's slots, in order, and the kernel
 * command line and device tree describe them; bad disks fail with one error. */
#include <errno.h>
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/virtio/attach.h"
#include "virtio_test_driver.h"

struct fx {
	struct vdrv v;
	char disk[64];
	struct virtio_slots slots;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	strcpy(f->disk, "/tmp/gasang-attach-XXXXXX");
	fd = mkstemp(f->disk);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	vd_machine(&f->v, true);
	assert_int_equal(chardev_open(&f->v.m.console, "none"), 0);
	f->slots.base = 0xd0000000;
	f->slots.n = 8;
	for (unsigned i = 0; i < 8; i++)
		f->slots.irq[i] = 5 + i;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	loop_free(&f->v.m.loop);
	bus_free(&f->v.m.mmio);
	gmem_free(&f->v.m.mem);
	unlink(f->disk);
	free(f);
	return 0;
}

static void test_attach_all(void **state)
{
	struct fx *f = *state;
	struct vm_config cfg = {.console = "virtio", .rng = true, .ndisks = 2};
	struct virtio_set *s;
	char cmdline[512] = "console=hvc0";
	uint64_t id;

	cfg.disks[0].path = f->disk;
	cfg.disks[1].path = f->disk;
	cfg.disks[1].readonly = true;
	assert_int_equal(virtio_attach_all(&f->v.m, &cfg, &f->slots, &s), 0);
	assert_int_equal(s->n, 4);
	/* console, disk, disk, rng at consecutive 4 KiB slots */
	const uint32_t ids[4] = {3, 2, 2, 4};
	for (unsigned i = 0; i < 4; i++) {
		assert_true(bus_read(&f->v.m.mmio, 0xd0000000 + 0x1000ULL * i + 8, 4, &id));
		assert_int_equal(id, ids[i]);
		assert_int_equal(s->a[i].irq, 5 + i);
	}
	assert_int_equal(virtio_mmio_cmdline(s, cmdline, sizeof(cmdline)), 0);
	assert_string_equal(cmdline, "console=hvc0 virtio_mmio.device=4K@0xd0000000:5"
				     " virtio_mmio.device=4K@0xd0001000:6"
				     " virtio_mmio.device=4K@0xd0002000:7"
				     " virtio_mmio.device=4K@0xd0003000:8");
	char tiny[40] = "";
	assert_int_equal(virtio_mmio_cmdline(s, tiny, sizeof(tiny)), -ENOSPC);

	/* Device tree: one node per device, in address order, with reg and interrupts. */
	static char fdt[8192];
	assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
	int soc = fdt_add_subnode(fdt, 0, "soc");
	assert_true(soc >= 0);
	assert_int_equal(virtio_mmio_fdt(s, fdt, soc, 9), 0);
	int node = fdt_first_subnode(fdt, soc);
	for (unsigned i = 0; i < 4; i++, node = fdt_next_subnode(fdt, node)) {
		int len;
		assert_true(node >= 0);
		const void *reg = fdt_getprop(fdt, node, "reg", &len);
		fdt64_t base; /* properties are only 4-byte aligned */
		assert_int_equal(len, 16);
		memcpy(&base, reg, sizeof(base));
		assert_int_equal(fdt64_to_cpu(base), 0xd0000000 + 0x1000ULL * i);
		const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
		assert_int_equal(fdt32_to_cpu(*irq), 5 + i);
		assert_string_equal(fdt_getprop(fdt, node, "compatible", &len), "virtio,mmio");
	}
	virtio_detach_all(s);
}

static void test_bad_disks(void **state)
{
	struct fx *f = *state;
	struct vm_config cfg = {.rng = true, .ndisks = 1};
	struct virtio_set *s;

	cfg.disks[0].path = "/nonexistent.img";
	assert_int_equal(virtio_attach_all(&f->v.m, &cfg, &f->slots, &s), -ENOENT);
	assert_null(s);
	cfg.disks[0].path = "/tmp";
	assert_int_equal(virtio_attach_all(&f->v.m, &cfg, &f->slots, &s), -EISDIR);
	/* Nothing was left mapped by the failed attempts. */
	assert_int_equal(f->v.m.mmio.n, 0);
}

static void test_too_few_slots(void **state)
{
	struct fx *f = *state;
	struct vm_config cfg = {.rng = true, .ndisks = 2};
	struct virtio_set *s;

	cfg.disks[0].path = f->disk;
	cfg.disks[1].path = f->disk;
	f->slots.n = 2;
	assert_int_equal(virtio_attach_all(&f->v.m, &cfg, &f->slots, &s), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_attach_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_disks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_few_slots, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
