/* run_in_s(fn): calls fn in S-mode; fn returns into an ECALL, which the M-mode trap handler
 * turns into a return to s_return, back in M-mode on the saved stack. */
	.text
	.globl	run_in_s
run_in_s:
	addi	sp, sp, -16
	sd	ra, 0(sp)
	la	t0, saved_sp
	sd	sp, 0(t0)
	csrw	mepc, a0
	li	t0, (3 << 11)
	csrc	mstatus, t0
	li	t0, (1 << 11)
	csrs	mstatus, t0
	la	ra, s_exit
	mret
s_exit:
	ecall
	.globl	s_return
s_return:
	la	t0, saved_sp
	ld	sp, 0(t0)
	ld	ra, 0(sp)
	addi	sp, sp, 16
	ret

	/* U-mode code for the delegation group: two delegated exceptions, then ECALL. */
	.align	2
	.globl	u_code
u_code:
	.word	0xffffffff		/* illegal */
	csrr	t0, sstatus		/* S CSR from U: illegal */
	ecall
	.globl	u_end
u_end:
1:	j	1b

	.globl	finish
finish:
	fence
	li	t0, 1
	la	t1, tohost
	sd	t0, 0(t1)
	li	t0, 0x5555
	li	t1, 0x100000
	sw	t0, 0(t1)
1:	wfi
	j	1b

	.data
	.align	3
saved_sp:
	.dword	0
	.section .tohost, "aw"
	.align	6
	.globl	tohost
tohost:
	.dword	0
	.globl	fromhost
fromhost:
	.dword	0
