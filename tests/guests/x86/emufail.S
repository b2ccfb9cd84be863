/* Jumps into unmapped physical memory: KVM cannot fetch the instruction it must emulate. */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002, 0, -0x1badb002
	.text
	.globl _start
_start:
	movl $0xd0000000, %eax
	jmp *%eax
