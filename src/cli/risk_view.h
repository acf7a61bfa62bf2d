/* SPDX-License-Identifier: MIT */
/* risk_view: the risk ranking and attack paths of a store, as `risk` and `analyze` show them. */
#ifndef WW_CLI_RISK_VIEW_H
#define WW_CLI_RISK_VIEW_H

#include <jansson.h>
#include <stdio.h>

#include "assess/risk.h"
#include "store/store.h"

struct risk_view {
    struct risk_input in;
    struct risk_score *scores; /* by device */
    size_t *order;             /* device indexes, riskiest first */
    struct risk_path *paths;   /* best first */
    size_t n_paths;
};

/* Reads the store and works out scores and the best max_paths paths. Returns 0, or -1 with err. */
int risk_view_load(struct risk_view *v, struct ww_store *st, size_t max_paths, char *err);
void risk_view_free(struct risk_view *v);

/* The top devices, each with up to factors of its factors. */
void risk_view_print(const struct risk_view *v, FILE *out, size_t top, int factors);
void risk_view_print_paths(const struct risk_view *v, FILE *out, size_t top);
/* {"devices": [...], "paths": [...]} (paths only when with_paths). */
json_t *risk_view_json(const struct risk_view *v, size_t top, bool with_paths);

#endif
