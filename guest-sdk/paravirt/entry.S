/*
 * entry.S - guest entry. The VMM enters _start in 64-bit mode with RDI = address of struct isolate_boot_info
 * (or 0). We switch to the image's own stack, keep the frame pointer chain terminated, align the stack as the
 * SysV ABI wants for a call, and never return.
 */
        .section .text.start, "ax"
        .globl _start
        .type _start, @function
_start:
        lea     __isolate_stack_top(%rip), %rsp
        and     $-16, %rsp
        xor     %ebp, %ebp
        call    __isolate_start        /* (boot info in %rdi) does not return */
1:      hlt
        jmp     1b
        .size _start, . - _start

        .section .note.GNU-stack, "", @progbits
