/* Triple fault: no IDT, then an invalid opcode (#UD -> #DF -> shutdown). */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002, 0, -0x1badb002
	.text
	.globl _start
_start:
	lidt zero_idt
	ud2
	.data
zero_idt:
	.word 0
	.long 0
