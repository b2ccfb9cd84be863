/* virtio-rng through the virtio-mmio registers: buffers come back full of random bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/virtio/devices.h"
#include "virtio_test_driver.h"

static void test_rng_fills_buffers(void **state)
{
	struct vdrv *v = calloc(1, sizeof(*v));
	struct virtio_dev *d;
	uint8_t a[4096], b[4096], zero[4096] = {0};
	uint32_t len;
	(void)state;

	vd_machine(v, false);
	assert_int_equal(virtio_rng_create(&v->m, &d), 0);
	vd_attach(v, d);
	assert_int_equal(vd_rd(v, VIRTIO_MMIO_DEVICE_ID), 4);
	/* Without EVENT_IDX: an interrupt for every completion. */
	vd_init(v, ~(1ULL << VIRTIO_RING_F_EVENT_IDX), 1);
	/* Two writable buffers in one chain, then a second request. */
	struct vd_buf bufs[2] = {{VD_DATA, 1000, true}, {VD_DATA + 1000, 3096, true}};
	vd_offer(v, 0, bufs, 2, true);
	assert_true(vd_wait_used(v, 0, &len));
	assert_int_equal(len, 4096);
	assert_int_equal(gmem_read(&v->m.mem, VD_DATA, a, sizeof(a)), 0);
	struct vd_buf one = {VD_DATA, 4096, true};
	vd_offer(v, 0, &one, 1, true);
	assert_true(vd_wait_used(v, 0, &len));
	assert_int_equal(gmem_read(&v->m.mem, VD_DATA, b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(v->raises, 2);
	/* A readable-only chain gets nothing written. */
	struct vd_buf ro = {VD_DATA, 16, false};
	vd_offer(v, 0, &ro, 1, true);
	assert_true(vd_wait_used(v, 0, &len));
	assert_int_equal(len, 0);
	/* Driver that refuses VERSION_1 (legacy) is refused at FEATURES_OK. */
	vd_wr(v, VIRTIO_MMIO_STATUS, 0);
	vd_wr(v, VIRTIO_MMIO_STATUS, 3);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	vd_wr(v, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_false(vd_rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	vd_free(v);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rng_fills_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
