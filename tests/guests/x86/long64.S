/* Long mode and CPL3: from Multiboot's 32-bit entry, build page tables (user accessible),
 * enter 64-bit mode, report with a hypercall, then run a CPU-bound loop (dec/jnz) at CPL3
 * and come back with a #GP (hlt), which reports the elapsed host time. A #UD or #PF ends the run with debug-exit 0x3e. */
#define PML4 0x30000
#define PDPT 0x31000
#define PD   0x32000
#define LOOPS 200000000

	.section .multiboot, "a"
	.align 4
	.long 0x1badb002, 0, -0x1badb002

	.text
	.code32
	.globl _start
_start:
	movl $kstack_top, %esp
	/* Page tables: first 1 GiB identity-mapped with 2 MiB pages, user accessible. */
	movl $PML4, %edi
	xorl %eax, %eax
	movl $(3 * 4096 / 4), %ecx
	rep stosl
	movl $(PDPT | 7), PML4
	movl $(PD | 7), PDPT
	movl $PD, %edi
	movl $0x87, %eax
	movl $512, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b
	/* TSS descriptor base */
	movl $tss, %eax
	movw %ax, gdt_tss + 2
	shrl $16, %eax
	movb %al, gdt_tss + 4
	movb %ah, gdt_tss + 7
	lgdt gdtr
	movl %cr4, %eax
	orl $0x20, %eax          /* PAE */
	movl %eax, %cr4
	movl $PML4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx   /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax    /* PG | PE */
	movl %eax, %cr0
	ljmp $0x08, $long_entry

	.code64
long_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq $kstack_top, %rsp
	movq $tss, %rax
	movq $kstack_top, %rbx
	movq %rbx, 4(%rax)       /* rsp0 */
	movw $0x28, %ax
	ltr %ax
	/* IDT: #GP is the way back from CPL3 (int $n from user mode does not reach the guest
	 * on kvm-pvm), any other fault ends the run. */
	movq $sys_entry, %rax
	movq $(idt + 13 * 16), %rdi
	movw $0x8e00, %bx
	call set_gate
	movq $fault, %rax
	movq $(idt + 6 * 16), %rdi
	call set_gate
	movq $fault, %rax
	movq $(idt + 14 * 16), %rdi
	call set_gate
	lidt idtr
	movl $1, %eax
	movq $msg_long, %rbx
	movl $(msg_long_end - msg_long), %ecx
	movw $0x5e0, %dx
	outl %eax, %dx
	movl $3, %eax            /* HC_TIME */
	movw $0x5e0, %dx         /* the previous call returned its high half in edx */
	outl %eax, %dx
	movq %rax, t0
	/* Drop to CPL3. */
	pushq $0x1b              /* ss: user data */
	pushq $ustack_top
	pushq $0x2               /* rflags: interrupts off */
	pushq $0x23              /* cs: user code */
	pushq $user_loop
	iretq

set_gate:                        /* rax = handler, rdi = gate, bx = type/attr */
	movw %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw %bx, 4(%rdi)
	shrq $16, %rax
	movw %ax, 6(%rdi)
	shrq $16, %rax
	movl %eax, 8(%rdi)
	movl $0, 12(%rdi)
	ret

user_loop:
	movq $LOOPS, %rcx
1:	decq %rcx
	jnz 1b
	movq %cs, %rax
	hlt                      /* privileged: #GP takes us back to CPL0 */

sys_entry:                       /* #GP, back at CPL0; rax = the user's cs */
	andl $3, %eax
	movl %eax, %esi
	movl $3, %eax            /* HC_TIME */
	movw $0x5e0, %dx
	outl %eax, %dx
	subq t0, %rax
	movq $1000000, %rcx
	xorl %edx, %edx
	divq %rcx                /* rax = elapsed ms */
	/* "cpl3 loop done cpl=N ms=M\n" */
	movq $msg_ms_digits_start, %rdi
	movq $10, %rcx
	movq $8, %r8
2:	xorl %edx, %edx
	divq %rcx
	addb $'0', %dl
	movb %dl, -1(%rdi,%r8)
	decq %r8
	jnz 2b
	addb $'0', %sil
	movb %sil, msg_cpl
	movl $1, %eax
	movq $msg_done, %rbx
	movl $(msg_done_end - msg_done), %ecx
	movw $0x5e0, %dx
	outl %eax, %dx
	movb $0x0e, %al
	outb %al, $0xf4
3:	hlt
	jmp 3b

fault:
	movb $0x3e, %al
	outb %al, $0xf4
	jmp fault

	.data
	.align 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08 kernel code 64 */
	.quad 0x00cf92000000ffff /* 0x10 kernel data */
	.quad 0x00cff2000000ffff /* 0x18 user data */
	.quad 0x00affa000000ffff /* 0x20 user code 64 */
gdt_tss:
	.quad 0x0000890000000067 /* 0x28 TSS (base patched) */
	.quad 0
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long gdt
idtr:
	.word 256 * 16 - 1
	.quad idt
msg_long:
	.ascii "long mode ok\n"
msg_long_end:
msg_done:
	.ascii "cpl3 loop done cpl="
msg_cpl:
	.ascii "? ms="
msg_ms_digits_start:
	.ascii "00000000"
msg_ms_digits = msg_ms_digits_start + 8
	.ascii "\n"
msg_done_end:
	.align 8
t0:	.quad 0

	.bss
	.align 4096
idt:	.space 256 * 16
tss:	.space 104
	.align 16
	.space 8192
kstack_top:
	.space 8192
ustack_top:
