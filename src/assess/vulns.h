/* SPDX-License-Identifier: MIT */
/*
 * vulns: the catalog of known vulnerabilities of medical devices and the
 * software they run (data/vulnerabilities.conf, with the user's CISA KEV
 * and CVE JSON 5 files merged in), and its matching against what the
 * inventory knows of a device: maker, product and version evidence.
 */
#ifndef WW_ASSESS_VULNS_H
#define WW_ASSESS_VULNS_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define VULN_ERROR_LEN 512
#define VULN_VERSION_MAX 32

/* What the match pattern is applied to. */
enum vuln_scope {
    VULN_DEVICE,   /* a device's own product: its maker must be the entry's vendor */
    VULN_SOFTWARE, /* software a device runs, named in its traffic (banners, agents) */
};

struct vuln {
    char cve[24];
    char vendor[64];
    char product[160];
    enum vuln_scope scope;
    char match[200];    /* POSIX ERE, any case; groups of digits spell the version */
    char versions[120]; /* "all", "advisory" (not comparable), or constraints */
    double cvss;
    char cvss_version[8];
    bool kev;           /* in CISA's Known Exploited Vulnerabilities catalog */
    char advisory[48];
    char summary[200];
    char source[96];    /* the file, and line, it came from */
    regex_t re;
};

struct vuln_catalog;

/*
 * Reads a catalog: one entry per line, "CVE | vendor | product | scope |
 * match | versions | cvss | kev | advisory | summary", the fields
 * separated by " | " (a pattern's own '|' has no spaces around it); '#'
 * comments and blank lines ignored. A line that cannot be read fails the file, with
 * "FILE:LINE: why" in err (VULN_ERROR_LEN bytes).
 */
struct vuln_catalog *vuln_load(const char *path, char *err);
void vuln_free(struct vuln_catalog *c);

/*
 * Merges the text of a file in a public format into the catalog: CISA's
 * KEV catalog JSON (its entries mark known CVEs as exploited; unknown
 * ones are added for their vendor and product, versions unknown) or CVE JSON
 * 5 records (one record, or an array of them). A text that cannot be
 * read, or is in neither format, is refused whole with the reason in err
 * (path names it), the catalog unchanged. Returns entries added or
 * changed, or -1.
 */
int vuln_import_text(struct vuln_catalog *c, const char *text, const char *path, char *err);

/* A whole file's text (to free), or NULL with the reason in err. */
char *vuln_file_text(const char *path, char *err);

size_t vuln_count(const struct vuln_catalog *c);
const struct vuln *vuln_at(const struct vuln_catalog *c, size_t i);

/* What is known of a device: its maker and its evidence as kind and value pairs. */
struct vuln_subject {
    const char *vendor;
    const char *const *kinds;
    const char *const *values;
    size_t n;
};

enum vuln_confidence {
    VULN_MEDIUM = 1, /* maker (or software) and product match; the version is not known */
    VULN_HIGH,       /* ... and the version is affected, or every version is */
};

struct vuln_match {
    const struct vuln *v;
    enum vuln_confidence confidence;
    char version[VULN_VERSION_MAX]; /* the version seen, or "" */
    size_t evidence;                /* index of the evidence that matched */
};

/*
 * Every catalog entry that matches the subject, at most max into out.
 * A device entry needs the maker and the product; a software entry the
 * product in the evidence of software. A version seen outside the
 * entry's versions is no match. Returns how many.
 */
size_t vuln_match(const struct vuln_catalog *c, const struct vuln_subject *s,
                  struct vuln_match *out, size_t max);

/*
 * Whether re matches value; the version it spells goes to version ("" when
 * none): its groups of digits joined by dots, else the first dotted number
 * after the match.
 */
bool vuln_read_version(const regex_t *re, const char *value, char *version, size_t cap);

/* Whether evidence of this kind names what a device is or runs (not whom it talks to). */
bool vuln_identity_kind(const char *kind);

/* Whether version (dotted numbers) is within the constraints of spec ("all", "<2.1,=3.0"). */
bool vuln_version_affected(const char *spec, const char *version);
/* Whether spec reads as a versions field. */
bool vuln_versions_valid(const char *spec);

const char *vuln_confidence_name(enum vuln_confidence c);

/* 1 high (known exploited, or CVSS 7 and up), 2 medium (4 and up), 3 low. */
int vuln_severity(const struct vuln *v);

/* A match in words: the CVE, its score, advisory and summary, what matched and how surely. */
void vuln_describe(const struct vuln_match *m, const struct vuln_subject *s, char *out,
                   size_t len);

#endif
