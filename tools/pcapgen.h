/* SPDX-License-Identifier: MIT */
/* pcapgen: writes synthetic captures for benchmarks and regression cases. */
#ifndef WW_TOOLS_PCAPGEN_H
#define WW_TOOLS_PCAPGEN_H

/* `pcapgen bench ...`: a large mixed capture for bench/ (tools/pcapgen.c). */
int pcapgen_bench(int argc, char **argv);

/* `pcapgen case NAME FILE`: one small regression capture (tools/pcapgen_cases.c). */
int pcapgen_case(int argc, char **argv);

#endif
