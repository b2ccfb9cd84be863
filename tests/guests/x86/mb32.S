/* Multiboot v1 entry for the 32-bit C payloads: a stack, then main(mbi); main's return value
 * goes to isa-debug-exit. */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002
	.long 0x00000003
	.long -(0x1badb002 + 0x00000003)

	.text
	.globl _start
_start:
	cmpl $0x2badb002, %eax
	jne 1f
	movl $stack_top, %esp
	pushl %ebx
	call main
	outb %al, $0xf4
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
	.space 16384
stack_top:
