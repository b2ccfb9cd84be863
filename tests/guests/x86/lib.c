#include "lib.h"

static uint32_t slen(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

void puts_hc(const char *s)
{
	hcall(HC_CONSOLE, (uint32_t)s, slen(s));
}

char *fmt_s(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	*p = 0;
	return p;
}

char *fmt_u(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + (uint32_t)(v % 10));
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	*p = 0;
	return p;
}

char *fmt_x(char *p, uint32_t v)
{
	for (int i = 7; i >= 0; i--)
		*p++ = "0123456789abcdef"[(v >> (i * 4)) & 0xf];
	*p = 0;
	return p;
}

int str_has(const char *hay, const char *needle)
{
	for (; *hay; hay++) {
		const char *a = hay, *b = needle;
		while (*a && *b && *a == *b)
			a++, b++;
		if (!*b)
			return 1;
	}
	return 0;
}

uint32_t cmdline_u(const struct mb_info *mbi, const char *key, uint32_t def)
{
	const char *s = (const char *)mbi->cmdline;
	uint32_t klen = slen(key);

	if (!(mbi->flags & 4))
		return def;
	for (; *s; s++) {
		uint32_t i = 0, v = 0;
		if (s != (const char *)mbi->cmdline && s[-1] != ' ')
			continue;
		while (i < klen && s[i] == key[i])
			i++;
		if (i != klen || s[i] != '=')
			continue;
		for (s += i + 1; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (uint32_t)(*s - '0');
		return v;
	}
	return def;
}

/* gcc may emit calls to these even when freestanding. */
void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}
void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

/* 64-bit division for -m32 without libgcc: shift and subtract. */
static uint64_t udivmod(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = r;
	return q;
}
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	return udivmod(n, d, &r);
}
uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	udivmod(n, d, &r);
	return r;
}
