/* SPDX-License-Identifier: MIT */
/*
 * lifecycle: software past its end of support, as the traffic names it
 * with its version (data/software-lifecycle.conf): operating systems in
 * User-Agents, servers and libraries in HTTP Server headers, SSH banners.
 */
#ifndef WW_ASSESS_LIFECYCLE_H
#define WW_ASSESS_LIFECYCLE_H

#include <regex.h>
#include <stddef.h>

#include "assess/vulns.h"

#define LIFECYCLE_ERROR_LEN 512

struct lifecycle_entry {
    char software[80];
    char match[200];    /* as in the vulnerability catalog: groups of digits spell the version */
    char versions[120]; /* the versions out of support, as the catalog writes them */
    char ended[16];     /* when the last of them lost support, YYYY-MM-DD */
    char source[160];
    unsigned line;
    regex_t re;
};

struct lifecycle;

/*
 * Reads the file: "software | match | versions | ended | source" per line,
 * fields separated by " | ", '#' comments and blank lines ignored; a line
 * that cannot be read fails the file with "FILE:LINE: why" in err.
 */
struct lifecycle *lifecycle_load(const char *path, char *err);
void lifecycle_free(struct lifecycle *l);

struct lifecycle_match {
    const struct lifecycle_entry *e;
    size_t evidence;            /* index in the subject */
    char version[VULN_VERSION_MAX];
};

/*
 * The entries whose software the subject's identity evidence names, in a
 * version out of support (a version must be seen, unless every version is
 * out), at most max. Returns how many.
 */
size_t lifecycle_match(const struct lifecycle *l, const struct vuln_subject *s,
                       struct lifecycle_match *out, size_t max);

#endif
