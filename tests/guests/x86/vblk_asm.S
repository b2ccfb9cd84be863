/* vblk's interrupt wait: irq_wait(want) halts with interrupts on until irq_count reaches want.
 * Two handlers count an interrupt and acknowledge it: pic_stub (the 8259's IRQ 5, virtio-mmio)
 * and msi_stub (an MSI-X message through the local APIC, virtio-pci). Like timer_asm.S they do
 * not return with iret (kvm-pvm's instruction emulator cannot execute a protected-mode iret at
 * CPL0): they drop the interrupt frame and resume the wait loop, with IF clear. */
	.globl irq_wait, irq_count, pic_stub, msi_stub
	.text
irq_wait:
	movl %esp, saved_esp
1:	movl saved_esp, %esp
	movl 4(%esp), %ecx
	cmpl %ecx, irq_count
	jae 2f
	sti
	hlt
	jmp 1b
2:	ret

pic_stub:
	incl irq_count
	movb $0x20, %al
	outb %al, $0x20 /* PIC EOI */
	jmp 1b

msi_stub:
	incl irq_count
	movl $0, 0xfee000b0 /* local APIC EOI */
	jmp 1b

	.data
	.align 4
irq_count: .long 0
saved_esp: .long 0
