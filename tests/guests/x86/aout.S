/* A flat Multiboot kernel loaded through the a.out kludge (header flag 16) at 2 MiB. */
	.text
	.code32
	.globl start
start:
	.long 0x1badb002
	.long 0x00010000
	.long -(0x1badb002 + 0x00010000)
	.long start            /* header_addr */
	.long start            /* load_addr */
	.long data_end         /* load_end_addr */
	.long bss_end          /* bss_end_addr */
	.long entry            /* entry_addr */
entry:
	cmpl $0x2badb002, %eax
	jne 1f
	cmpl $0, bss_word      /* bss must be zeroed */
	jne 1f
	movl $1, %eax
	movl $msg, %ebx
	movl $(msg_end - msg), %ecx
	movw $0x5e0, %dx
	outl %eax, %dx
	movb $5, %al
	outb %al, $0xf4
1:	cli
	hlt
	jmp 1b
msg:	.ascii "a.out kludge kernel ok\n"
msg_end:
	.align 4
data_end:
bss_word = data_end
bss_end = data_end + 4096
