/* Host-side decompression of a Linux bzImage payload (the compressed vmlinux ELF the kernel's
 * own decompressor would unpack in the guest). The format is detected by its magic; the last
 * four bytes of every x86 payload hold the decompressed size (little endian: gzip's ISIZE, or
 * the size the kernel build appends to its lz4/xz/zstd streams). */
#ifndef GASANG_BOOT_KDECOMP_H
#define GASANG_BOOT_KDECOMP_H

#include <stddef.h>
#include <stdint.h>

enum kdecomp_format {
	KDECOMP_UNKNOWN,
	KDECOMP_GZIP,
	KDECOMP_XZ,
	KDECOMP_ZSTD,
	KDECOMP_LZ4, /* legacy frames (lz4 -l), magic 02 21 4c 18 */
	KDECOMP_BZIP2,
	KDECOMP_LZMA,
	KDECOMP_LZO,
};

/* The format of a payload from its first bytes. */
enum kdecomp_format kdecomp_detect(const uint8_t *p, size_t len);

/* Its name ("gzip", "lz4", ...). */
const char *kdecomp_name(enum kdecomp_format f);

/* True when gasang can decompress this format on the host. */
int kdecomp_supported(enum kdecomp_format f);

/* Checks that the payload is in a supported format and declares a size of at most max_out
 * bytes. Returns 0 and the size in *out_len, or -EOPNOTSUPP, -E2BIG or -EINVAL as below. */
int kdecomp_size(const uint8_t *in, size_t len, size_t max_out, size_t *out_len, char *err,
		 size_t errlen);

/* Decompresses only the first n (at most 1 MiB) bytes of a payload into out, for a look at its
 * headers. Returns 0, or -EINVAL when it has fewer bytes or is not in a supported format. */
int kdecomp_head(const uint8_t *in, size_t len, uint8_t *out, size_t n);

/* Decompresses a payload that kdecomp_size() accepted into out, exactly out_len (its declared
 * size) bytes. Returns 0 or -EINVAL (corrupt or truncated); out may be partly written then. */
int kdecomp_into(const uint8_t *in, size_t len, uint8_t *out, size_t out_len, char *err,
		 size_t errlen);

/* Decompresses a payload of len bytes whose declared size is at most max_out bytes into a new
 * buffer (*out, free() it) of exactly the declared size. Returns 0, -EOPNOTSUPP for a format
 * gasang does not decompress, -E2BIG when the declared size exceeds max_out, -ENOMEM, or
 * -EINVAL for a corrupt or truncated payload; err gets a one-line reason. */
int kdecomp_payload(const uint8_t *in, size_t len, size_t max_out, uint8_t **out, size_t *out_len,
		    char *err, size_t errlen);

#endif
