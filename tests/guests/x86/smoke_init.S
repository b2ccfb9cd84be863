/* /init for the Linux smoke test: one line on the console, then reboot (reboot=k: the i8042
 * reset ends gasang with status 0). Raw system calls, no libc. */
	.text
	.globl _start
_start:
	movl $1, %eax            /* write(1, msg, len) */
	movl $1, %edi
	leaq msg(%rip), %rsi
	movl $(msg_end - msg), %edx
	syscall
	movl $169, %eax          /* reboot(MAGIC1, MAGIC2, RESTART) */
	movl $0xfee1dead, %edi
	movl $672274793, %esi
	movl $0x01234567, %edx
	syscall
1:	jmp 1b
msg:	.ascii "gasang-smoke: /init reached\n"
msg_end:
