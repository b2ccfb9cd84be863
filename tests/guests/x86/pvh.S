/* A PVH kernel: an ELF whose XEN_ELFNOTE_PHYS32_ENTRY note gives the 32-bit entry point. Checks
 * the hvm_start_info magic in ebx, reports its memory map and command line, debug-exits 7. */
	.section .note.Xen, "a", @note
	.align 4
	.long 4, 4, 18           /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_entry

	.text
	.code32
	.globl _start
_start:
pvh_entry:
	cmpl $0x336ec578, (%ebx)  /* hvm_start_info.magic */
	jne bad
	movl 48(%ebx), %eax       /* memmap_entries */
	addb $'0', %al
	movb %al, msg_n
	movl 24(%ebx), %esi       /* cmdline_paddr */
	movl $msg_cmd, %edi
1:	movb (%esi), %al
	testb %al, %al
	jz 2f
	movb %al, (%edi)
	incl %esi
	incl %edi
	jmp 1b
2:	movb $'\n', (%edi)
	incl %edi
	movl %edi, %ecx
	subl $msg, %ecx
	movl $1, %eax
	movl $msg, %ebx
	movw $0x5e0, %dx
	outl %eax, %dx
	movb $7, %al
	outb %al, $0xf4
bad:
	movb $0x3f, %al
	outb %al, $0xf4
	hlt

	.data
msg:	.ascii "pvh ok memmap="
msg_n:	.ascii "? cmdline="
msg_cmd:
	.space 256
