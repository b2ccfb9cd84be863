/* Host-code disassembly of translated blocks (capstone), for debugging the translator. */
#ifndef GASANG_ACCEL_EMU_JIT_DISASM_H
#define GASANG_ACCEL_EMU_JIT_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* GASANG_JIT_DEBUG >= 2. */
bool disasm_enabled(void);
/* Writes the disassembly of code[0..len) to out, one line per instruction tagged with the
 * guest pc. Returns the number of instructions decoded, or -1 if capstone failed. */
int disasm_block(FILE *out, uint64_t vpc, const uint8_t *code, size_t len);

#endif
