/* virtio-blk through the virtio-mmio registers against a real temporary image file, once with
 * the synchronous back end and once with io_uring completing on the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_blk.h>

#include "devices/virtio/devices.h"
#include "virtio_test_driver.h"

#define DISK_SIZE (1024 * 1024)
#define HDR	  (VD_DATA)
#define DATA	  (VD_DATA + 0x1000)
#define STATUS	  (VD_DATA + 0x100)

struct fx {
	struct vdrv v;
	char path[64];
	int fd;
	uint64_t offered;
};

static int make(void **state, bool ro, bool use_loop)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_dev *d;
	struct disk_config dc = {.path = f->path, .readonly = ro, .id = ro ? NULL : "serial-42"};

	strcpy(f->path, "/tmp/gasang-blk-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, DISK_SIZE), 0);
	/* Recognizable content: byte i of sector s is (s + i) & 0xff. */
	for (unsigned s = 0; s < DISK_SIZE / 512; s++) {
		uint8_t sec[512];
		for (unsigned i = 0; i < 512; i++)
			sec[i] = (uint8_t)(s + i);
		assert_int_equal(pwrite(f->fd, sec, 512, s * 512), 512);
	}
	vd_machine(&f->v, use_loop);
	if (!use_loop)
		setenv("GASANG_NO_URING", "1", 1);
	else
		unsetenv("GASANG_NO_URING");
	assert_int_equal(virtio_blk_create(&f->v.m, &dc, 0, &d), 0);
	vd_attach(&f->v, d);
	f->offered = vd_init(&f->v, ~0ULL, 1);
	*state = f;
	return 0;
}

static int setup_sync(void **state)
{
	return make(state, false, false);
}
static int setup_uring(void **state)
{
	return make(state, false, true);
}
static int setup_ro(void **state)
{
	return make(state, true, false);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vd_free(&f->v);
	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

/* Sends one request: header, optional data (readable for OUT-like, writable for IN-like),
 * status byte. Returns the status; *used gets the used length. */
static uint8_t request(struct fx *f, uint32_t type, uint64_t sector, uint32_t len, bool dev_writes,
		       uint32_t *used)
{
	struct virtio_blk_outhdr h = {.type = type, .sector = sector};
	struct vd_buf b[3];
	unsigned n = 0;
	uint8_t st = 0xee;

	assert_int_equal(gmem_write(&f->v.m.mem, HDR, &h, sizeof(h)), 0);
	assert_int_equal(gmem_write(&f->v.m.mem, STATUS, &st, 1), 0);
	b[n++] = (struct vd_buf){HDR, sizeof(h), false};
	if (len)
		b[n++] = (struct vd_buf){DATA, len, dev_writes};
	b[n++] = (struct vd_buf){STATUS, 1, true};
	vd_offer(&f->v, 0, b, n, true);
	assert_true(vd_wait_used(&f->v, 0, used));
	assert_int_equal(gmem_read(&f->v.m.mem, STATUS, &st, 1), 0);
	return st;
}

static void test_config(void **state)
{
	struct fx *f = *state;
	uint64_t cap = vd_rd(&f->v, VIRTIO_MMIO_CONFIG) |
		       ((uint64_t)vd_rd(&f->v, VIRTIO_MMIO_CONFIG + 4) << 32);
	assert_int_equal(cap, DISK_SIZE / 512);
	assert_int_equal(vd_rd(&f->v, VIRTIO_MMIO_DEVICE_ID), 2);
	assert_true(f->offered & (1ULL << VIRTIO_BLK_F_FLUSH));
	assert_true(f->offered & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(f->offered & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(f->offered & (1ULL << VIRTIO_BLK_F_RO));
}

static void test_read(void **state)
{
	struct fx *f = *state;
	uint8_t buf[1024];
	uint32_t used;

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 7, 1024, true, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1025);
	assert_int_equal(gmem_read(&f->v.m.mem, DATA, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < 1024; i++)
		assert_int_equal(buf[i], (uint8_t)(7 + i / 512 + i % 512));
	/* The interrupt was raised and is acknowledged through InterruptACK. */
	assert_true(f->v.raises > 0);
	assert_int_equal(vd_rd(&f->v, VIRTIO_MMIO_INTERRUPT_STATUS) & 1, 1);
	vd_wr(&f->v, VIRTIO_MMIO_INTERRUPT_ACK, 1);
	assert_int_equal(vd_rd(&f->v, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_false(f->v.level);
}

static void test_write_and_flush(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512], back[512];
	uint32_t used;

	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(gmem_write(&f->v.m.mem, DATA, buf, sizeof(buf)), 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 100, 512, false, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(f->fd, back, 512, 100 * 512), 512);
	assert_memory_equal(buf, back, 512);
}

static void test_out_of_range(void **state)
{
	struct fx *f = *state;
	uint8_t canary[512];
	uint32_t used;

	memset(canary, 0x77, sizeof(canary));
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK_SIZE / 512, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* Starts inside, ends outside. */
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, DISK_SIZE / 512 - 1, 1024, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* sector * 512 overflows 64 bits. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1ULL << 60, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 100, true, NULL), VIRTIO_BLK_S_IOERR);
	/* The file did not grow. */
	struct stat st;
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_size, DISK_SIZE);
	/* Unknown request type. */
	assert_int_equal(request(f, 99, 0, 0, false, &used), VIRTIO_BLK_S_UNSUPP);
	(void)canary;
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	char id[20];

	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(gmem_read(&f->v.m.mem, DATA, id, sizeof(id)), 0);
	assert_string_equal(id, "serial-42");
}

static void ranges(struct fx *f, uint32_t type, uint64_t sector, uint32_t n, uint8_t expect)
{
	struct virtio_blk_discard_write_zeroes seg = {.sector = sector, .num_sectors = n};
	assert_int_equal(gmem_write(&f->v.m.mem, DATA, &seg, sizeof(seg)), 0);
	assert_int_equal(request(f, type, 0, sizeof(seg), false, NULL), expect);
}

static void test_write_zeroes(void **state)
{
	struct fx *f = *state;
	uint8_t back[4096], zero[4096] = {0};

	ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 16, 8, VIRTIO_BLK_S_OK);
	assert_int_equal(pread(f->fd, back, sizeof(back), 16 * 512), sizeof(back));
	assert_memory_equal(back, zero, sizeof(back));
	/* Neighbours untouched. */
	assert_int_equal(pread(f->fd, back, 1, 24 * 512), 1);
	assert_int_equal(back[0], 24);
	ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, DISK_SIZE / 512 - 4, 8, VIRTIO_BLK_S_IOERR);
}

static void test_discard(void **state)
{
	struct fx *f = *state;
	uint8_t back[4096], zero[4096] = {0};
	struct stat before, after;

	assert_int_equal(fsync(f->fd), 0);
	assert_int_equal(fstat(f->fd, &before), 0);
	ranges(f, VIRTIO_BLK_T_DISCARD, 64, 64, VIRTIO_BLK_S_OK);
	assert_int_equal(fstat(f->fd, &after), 0);
	/* Punched: fewer blocks allocated (tmpfs and ext4 both punch holes), reads as zeroes. */
	assert_true(after.st_blocks < before.st_blocks);
	assert_int_equal(pread(f->fd, back, sizeof(back), 64 * 512), sizeof(back));
	assert_memory_equal(back, zero, sizeof(back));
	assert_int_equal(after.st_size, DISK_SIZE);
	ranges(f, VIRTIO_BLK_T_DISCARD, ~0ULL >> 1, 1, VIRTIO_BLK_S_IOERR);
}

static void test_readonly(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512], back[512];

	assert_true(f->offered & (1ULL << VIRTIO_BLK_F_RO));
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(gmem_write(&f->v.m.mem, DATA, buf, sizeof(buf)), 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 3, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(pread(f->fd, back, 512, 3 * 512), 512);
	assert_int_equal(back[0], 3);
	ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 3, 1, VIRTIO_BLK_S_IOERR);
	ranges(f, VIRTIO_BLK_T_DISCARD, 3, 1, VIRTIO_BLK_S_IOERR);
	/* Reads still work. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 3, 512, true, NULL), VIRTIO_BLK_S_OK);
}

static void test_malformed_needs_reset(void **state)
{
	struct fx *f = *state;
	/* A header shorter than 16 bytes is a driver bug: the device stops and says so. */
	struct vd_buf b[2] = {{HDR, 8, false}, {STATUS, 1, true}};
	vd_offer(&f->v, 0, b, 2, true);
	assert_true(vd_rd(&f->v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(vd_rd(&f->v, VIRTIO_MMIO_INTERRUPT_STATUS) & 2);
	/* A reset brings it back. */
	memset(f->v.avail_idx, 0, sizeof(f->v.avail_idx));
	memset(f->v.used_seen, 0, sizeof(f->v.used_seen));
	memset(gmem_ptr(&f->v.m.mem, VD_RAM, 0x4000), 0, 0x4000);
	vd_init(&f->v, ~0ULL, 1);
	assert_false(vd_rd(&f->v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
}

static void test_errors_opening(void **state)
{
	struct fx *f = *state;
	struct virtio_dev *d;
	struct disk_config dc = {.path = "/nonexistent/disk.img"};

	assert_int_equal(virtio_blk_create(&f->v.m, &dc, 1, &d), -ENOENT);
	dc.path = "/tmp";
	assert_int_equal(virtio_blk_create(&f->v.m, &dc, 1, &d), -EISDIR);
}

#define BOTH(fn)                                                                                   \
	cmocka_unit_test_setup_teardown(fn, setup_sync, teardown),                                 \
	    cmocka_unit_test_setup_teardown(fn, setup_uring, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(test_config),
	    BOTH(test_read),
	    BOTH(test_write_and_flush),
	    BOTH(test_out_of_range),
	    BOTH(test_get_id),
	    BOTH(test_write_zeroes),
	    BOTH(test_discard),
	    BOTH(test_malformed_needs_reset),
	    cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_opening, setup_sync, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
