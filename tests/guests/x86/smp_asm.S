/* AP trampoline, copied to 0x40000 and entered in real mode with cs = 0x4000. */
	.globl tramp_start, tramp_end
	.text
	.code16
tramp_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	movl $1, %eax
	cpuid
	shrl $24, %ebx          /* initial APIC ID */
	shll $5, %ebx
	movl 0x101c(%ebx), %ecx /* length, at ds:0x1000 + id * 32 + 28 */
	addl $0x41000, %ebx     /* "cpu N up..." prepared by the BSP */
	movl $1, %eax           /* HC_CONSOLE */
	movw $0x5e0, %dx
	outl %eax, %dx
	lock incl 0xf00         /* ds:0xf00 = 0x40f00 */
1:	hlt
	jmp 1b
tramp_end:
	.code32
