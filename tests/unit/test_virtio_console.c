/* virtio-console through the virtio-mmio registers: guest output reaches the character
 * device; typed input fills the receive buffers, now or once the driver offers some. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "backends/chardev.h"
#include "devices/virtio/devices.h"
#include "virtio_test_driver.h"

static void test_console_tx_rx(void **state)
{
	struct vdrv *v = calloc(1, sizeof(*v));
	struct chardev *cd = calloc(1, sizeof(*cd));
	struct virtio_dev *d;
	int p[2];
	char out[64] = {0};
	uint32_t len;
	(void)state;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(chardev_open(cd, "none"), 0);
	cd->out_fd = p[1];
	vd_machine(v, false);
	assert_int_equal(virtio_console_create(&v->m, cd, &d), 0);
	vd_attach(v, d);
	assert_int_equal(vd_rd(v, VIRTIO_MMIO_DEVICE_ID), 3);
	vd_init(v, ~(1ULL << VIRTIO_RING_F_EVENT_IDX), 2);
	/* Transmit: two readable buffers. */
	assert_int_equal(gmem_write(&v->m.mem, VD_DATA, "hello ", 6), 0);
	assert_int_equal(gmem_write(&v->m.mem, VD_DATA + 0x100, "hvc0\n", 5), 0);
	struct vd_buf tx[2] = {{VD_DATA, 6, false}, {VD_DATA + 0x100, 5, false}};
	vd_offer(v, 1, tx, 2, true);
	assert_true(vd_wait_used(v, 1, &len));
	assert_int_equal(read(p[0], out, sizeof(out)), 11);
	assert_string_equal(out, "hello hvc0\n");
	/* Input typed before the driver offers a buffer waits in the chardev... */
	chardev_push_input(cd, (const uint8_t *)"ls\n", 3);
	assert_false(vd_wait_used(v, 0, &len));
	/* ...and is delivered when the buffer arrives. */
	struct vd_buf rx = {VD_DATA + 0x200, 64, true};
	vd_offer(v, 0, &rx, 1, true);
	assert_true(vd_wait_used(v, 0, &len));
	assert_int_equal(len, 3);
	assert_int_equal(gmem_read(&v->m.mem, VD_DATA + 0x200, out, 3), 0);
	assert_memory_equal(out, "ls\n", 3);
	/* With a buffer waiting, input is delivered at once. */
	vd_offer(v, 0, &rx, 1, true);
	assert_false(vd_wait_used(v, 0, &len));
	chardev_push_input(cd, (const uint8_t *)"x", 1);
	assert_true(vd_wait_used(v, 0, &len));
	assert_int_equal(len, 1);
	vd_free(v);
	close(p[0]);
	close(p[1]);
	free(cd);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_console_tx_rx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
