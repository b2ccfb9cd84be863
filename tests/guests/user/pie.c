/* A freestanding static-pie program (no libc): proves gasang relocates ET_DYN images. It
 * prints the address it was loaded at and exits with status 3. */
static long sys3(long nr, long a, long b, long c)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a7 __asm__("a7") = nr;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
	return a0;
}

void _start(void)
{
	char msg[] = "pie at 0x0000000000000000\n";
	unsigned long pc;

	__asm__ volatile("auipc %0, 0" : "=r"(pc));
	for (int i = 0; i < 16; i++)
		msg[9 + i] = "0123456789abcdef"[(pc >> (60 - 4 * i)) & 15];
	sys3(64, 1, (long)msg, sizeof(msg) - 1); /* write */
	sys3(94, 3, 0, 0);                       /* exit_group */
	for (;;)
		;
}
