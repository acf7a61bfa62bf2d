/* SPDX-License-Identifier: MIT */
/* cpu: what the processor offers beyond the base instruction set. */
#ifndef WW_UTIL_CPU_H
#define WW_UTIL_CPU_H

#include <stdbool.h>

/*
 * Whether the x86 SHA extensions can be used, with the SSSE3 and SSE4.1
 * shuffles the block functions need beside them. False on other machines.
 */
bool cpu_has_sha_ext(void);

#endif
