/* gasang-bootmark: tells the VMM that the guest reached userspace (the boot marker: 123 written
 * to port 0x3f0, like Firecracker's boot timer). Needs ioperm (root); raw system calls, no libc,
 * because the cloud kernel has no /dev/port. */
	.text
	.globl _start
_start:
	movl $173, %eax          /* ioperm(0x3f0, 1, 1) */
	movl $0x3f0, %edi
	movl $1, %esi
	movl $1, %edx
	syscall
	testl %eax, %eax
	jnz 1f
	movb $123, %al
	movw $0x3f0, %dx
	outb %al, %dx
	xorl %edi, %edi
	jmp 2f
1:	movl $1, %edi
2:	movl $60, %eax           /* exit */
	syscall
