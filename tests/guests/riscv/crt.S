/* Entry of the bare-metal tests: hart 0 runs main() in M-mode; the other harts run
 * rt_secondary(hartid) (a weak default parks them in WFI), each on its own 16 KiB stack. */
	.section .text.init
	.globl _start
_start:
	.option push
	.option norelax
	la gp, __global_pointer$
	.option pop
	csrr a0, mhartid
	la sp, _stack_top
	slli t0, a0, 14
	sub sp, sp, t0
	bnez a0, 1f
	call main
	/* main returned its status: report it. */
	call rt_exit
1:	call rt_secondary
park:
	wfi
	j park

	.weak rt_secondary
rt_secondary:
	j park

	.section .tohost, "aw", @progbits
	.align 6
	.globl tohost
tohost: .dword 0
	.align 6
	.globl fromhost
fromhost: .dword 0
