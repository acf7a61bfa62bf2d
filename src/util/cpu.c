/* SPDX-License-Identifier: MIT */
/* cpu: feature bits from CPUID (Intel SDM volume 2A, CPUID leaves 1 and 7). */
#include "util/cpu.h"

#if defined(__x86_64__)
#include <cpuid.h>

#define CPUID7_EBX_SHA (1u << 29)
#define CPUID1_ECX_SSSE3 (1u << 9)
#define CPUID1_ECX_SSE41 (1u << 19)

bool cpu_has_sha_ext(void)
{
    unsigned a, b, c, d;

    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & CPUID7_EBX_SHA)) {
        return false;
    }
    return __get_cpuid(1, &a, &b, &c, &d) && (c & CPUID1_ECX_SSSE3) && (c & CPUID1_ECX_SSE41);
}
#else
bool cpu_has_sha_ext(void)
{
    return false;
}
#endif
