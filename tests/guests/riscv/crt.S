/* Entry of the bare-metal tests: hart 0 runs main() in M-mode; other harts park in WFI. */
	.section .text.init
	.globl _start
_start:
	csrr t0, mhartid
	bnez t0, park
	la sp, _stack_top
	.option push
	.option norelax
	la gp, __global_pointer$
	.option pop
	call main
	/* main returned its status: report it. */
	call rt_exit
park:
	wfi
	j park

	.section .tohost, "aw", @progbits
	.align 6
	.globl tohost
tohost: .dword 0
	.align 6
	.globl fromhost
fromhost: .dword 0
