/* Bare-metal entry for the riscv64 test programs: M-mode at 0x80000000, no firmware. */
	.section .text.start
	.globl _start
_start:
	la	sp, __stack_top
	li	t0, (1 << 13)		/* mstatus.FS = Initial: FP on */
	csrs	mstatus, t0
	la	t0, trap_entry
	csrw	mtvec, t0
	/* One PMP entry covering everything (QEMU implements PMP; with no entry S/U-mode could
	 * access nothing). A hart without PMP, like gasang's, ignores these writes. */
	li	t0, -1
	csrw	pmpaddr0, t0
	li	t0, 0x1f		/* NAPOT, R W X */
	csrw	pmpcfg0, t0
	call	main
	j	finish

	/* M-mode trap vector: saves caller-saved registers, calls trap_handler(mcause, mtval,
	 * mepc) which returns the pc to resume at. */
	.align	4
	.globl	trap_entry
trap_entry:
	addi	sp, sp, -144
	sd	ra, 0(sp)
	sd	t0, 8(sp)
	sd	t1, 16(sp)
	sd	t2, 24(sp)
	sd	a0, 32(sp)
	sd	a1, 40(sp)
	sd	a2, 48(sp)
	sd	a3, 56(sp)
	sd	a4, 64(sp)
	sd	a5, 72(sp)
	sd	a6, 80(sp)
	sd	a7, 88(sp)
	sd	t3, 96(sp)
	sd	t4, 104(sp)
	sd	t5, 112(sp)
	sd	t6, 120(sp)
	csrr	a0, mcause
	csrr	a1, mtval
	csrr	a2, mepc
	call	trap_handler
	csrw	mepc, a0
	ld	ra, 0(sp)
	ld	t0, 8(sp)
	ld	t1, 16(sp)
	ld	t2, 24(sp)
	ld	a0, 32(sp)
	ld	a1, 40(sp)
	ld	a2, 48(sp)
	ld	a3, 56(sp)
	ld	a4, 64(sp)
	ld	a5, 72(sp)
	ld	a6, 80(sp)
	ld	a7, 88(sp)
	ld	t3, 96(sp)
	ld	t4, 104(sp)
	ld	t5, 112(sp)
	ld	t6, 120(sp)
	addi	sp, sp, 144
	mret
