/* Benchmark payload: its first instructions write '!' to the UART (the time it appears on the
 * console is "launch to first instruction", measured the same way for every VMM), then the
 * boot marker, then isa-debug-exit 0x20 (status 65). */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002, 0, -0x1badb002
	.text
	.globl _start
_start:
	movb $'!', %al
	movw $0x3f8, %dx
	outb %al, %dx
	movb $'\n', %al
	outb %al, %dx
	movb $123, %al
	movw $0x3f0, %dx
	outb %al, %dx
	movb $0x20, %al
	outb %al, $0xf4
1:	cli
	hlt
	jmp 1b
