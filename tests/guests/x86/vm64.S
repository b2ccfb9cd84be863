/* A "vmlinux" for the 64-bit boot protocol: an x86-64 ELF without Multiboot header or PVH note,
 * entered at its ELF entry in long mode with rsi = the zero page. Checks the mode (64-bit code
 * segment 0x10, paging on) and the zero page (boot flag, "HdrS", loader type), then reports the
 * e820 entry count, the end of the RAM entry at 1 MiB (hex), the first line of the initrd and
 * the command line with the console hypercall, and debug-exits 9 (63 when a check fails). Also
 * wrapped, compressed, into a fake bzImage by the system test (host-side decompression). */
	.text
	.code64
	.globl _start
_start:
	movw %cs, %ax
	cmpw $0x10, %ax
	jne bad
	movq %cr0, %rax
	btq $31, %rax             /* PG */
	jnc bad
	cmpw $0xaa55, 0x1fe(%rsi) /* boot_flag */
	jne bad
	cmpl $0x53726448, 0x202(%rsi) /* "HdrS" */
	jne bad
	cmpb $0xff, 0x210(%rsi)   /* type_of_loader */
	jne bad
	movq %rsi, %r15
	leaq msg_n(%rip), %rdi
	movzbl 0x1e8(%r15), %eax  /* e820_entries */
	addb $'0', %al
	movb %al, (%rdi)
	/* e820 entry 3 ([1 MiB, end of low RAM)): addr + size as 8 hex digits */
	movq 0x2d0 + 3 * 20(%r15), %rax
	addq 0x2d0 + 3 * 20 + 8(%r15), %rax
	leaq msg_end(%rip), %rdi
	movl $8, %ecx
1:	roll $4, %eax
	movl %eax, %edx
	andl $0xf, %edx
	leaq hex(%rip), %rbx
	movb (%rbx,%rdx), %dl
	movb %dl, (%rdi)
	incq %rdi
	decl %ecx
	jnz 1b
	/* initrd: up to 32 bytes of its first line, "none" without one */
	leaq msg_rd(%rip), %rdi
	movl 0x218(%r15), %esi    /* ramdisk_image */
	movl 0x21c(%r15), %ecx    /* ramdisk_size */
	testl %ecx, %ecx
	jnz 2f
	leaq none(%rip), %rsi
	movl $4, %ecx
2:	cmpl $32, %ecx
	jbe 3f
	movl $32, %ecx
3:	movb (%rsi), %al
	cmpb $'\n', %al
	je 4f
	movb %al, (%rdi)
	incq %rsi
	incq %rdi
	decl %ecx
	jnz 3b
4:	leaq cmd(%rip), %rsi
	movl $5, %ecx
5:	movb (%rsi), %al          /* " cmdline=" */
	movb %al, (%rdi)
	incq %rsi
	incq %rdi
	decl %ecx
	jnz 5b
	movl 0x228(%r15), %esi    /* cmd_line_ptr */
6:	movb (%rsi), %al
	testb %al, %al
	jz 7f
	movb %al, (%rdi)
	incq %rsi
	incq %rdi
	jmp 6b
7:	movb $'\n', (%rdi)
	incq %rdi
	leaq msg(%rip), %rbx
	movq %rdi, %rcx
	subq %rbx, %rcx
	movl $1, %eax             /* HC_CONSOLE_WRITE */
	movw $0x5e0, %dx
	outl %eax, %dx
	movb $9, %al
	outb %al, $0xf4
bad:
	movb $0x3f, %al
	outb %al, $0xf4
	hlt

	.data
hex:	.ascii "0123456789abcdef"
none:	.ascii "none"
cmd:	.ascii " cmd="
msg:	.ascii "vm64 ok e820="
msg_n:	.ascii "? ramend="
msg_end: .ascii "???????? initrd="
msg_rd:
	.space 512
