/* timer_wait(want): halts with interrupts on until IRQ 0 has fired `want` times. The handler
 * does not return with iret (kvm-pvm's instruction emulator cannot execute a protected-mode
 * iret at CPL0): it drops the interrupt frame and resumes the wait loop, with IF clear. */
	.globl irq0_stub, ticks, timer_wait
	.text
timer_wait:
	movl %esp, saved_esp
1:	movl saved_esp, %esp
	movl 4(%esp), %ecx
	cmpl %ecx, ticks
	jae 2f
	sti
	hlt
	jmp 1b
2:	ret

irq0_stub:
	incl ticks
	movb $0x20, %al
	outb %al, $0x20 /* EOI */
	jmp 1b

	.data
	.align 4
ticks:	.long 0
saved_esp: .long 0
