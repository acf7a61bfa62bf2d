/* SPDX-License-Identifier: MIT */
/* analyze: what one run over capture files found, for its summary. */
#ifndef WW_CLI_ANALYZE_H
#define WW_CLI_ANALYZE_H

#include <stdbool.h>
#include <stdio.h>

#include "capture/capture.h"
#include "cli/risk_view.h"
#include "engine/engine.h"
#include "inventory/inventory.h"
#include "output/eve.h"

struct analyze_result {
    const struct capture_set *captures;
    const struct engine *engine;
    const struct inventory *inventory;
    const struct baseline *baseline;
    const struct alerts *alerts;
    const struct ensemble *ensemble; /* NULL without --ensemble */
    const struct indicators *indicators; /* NULL without --indicators */
    const struct assess *assess;
    const struct risk_view *risk; /* NULL when the store could not be read back */
    struct eve_stats eve;
    const char *eve_path;
    double wall_s;         /* seconds the run took */
    uint64_t peak_rss;     /* bytes */
    int n_failed;          /* input files that could not be read to the end */
};

void summary_print_text(FILE *out, const struct analyze_result *r);
/* Returns 0, or -1 when the JSON document could not be built. */
int summary_print_json(FILE *out, const struct analyze_result *r);

#endif
