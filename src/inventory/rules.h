/* SPDX-License-Identifier: MIT */
/* rules: the device taxonomy and the classification rules, read from a text file. */
#ifndef WW_INVENTORY_RULES_H
#define WW_INVENTORY_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_ERROR_LEN 512
#define RULES_NAME_MAX 48
#define RULES_TEXT_MAX 256
#define RULES_FILE_DEFAULT "device-rules.conf"

/* How much a patient depends on a device of a class working. */
enum criticality {
    CRIT_LOW = 0,
    CRIT_MEDIUM,
    CRIT_HIGH,
    CRIT_LIFE_SUSTAINING,
};

struct rules_class {
    char name[RULES_NAME_MAX];         /* e.g. infusion_pump */
    char category[RULES_NAME_MAX];     /* medical, it, iot */
    char description[RULES_TEXT_MAX];  /* e.g. Infusion pump */
    enum criticality criticality;
};

/* "rule CLASS WEIGHT KIND REGEX": evidence of KIND matching REGEX supports CLASS. */
struct rules_rule {
    int class_idx;
    double weight; /* (0, 1]: the confidence this rule alone gives */
    char kind[RULES_NAME_MAX];
    uint32_t kind_hash; /* rules_kind_hash(kind) */
    char pattern[RULES_TEXT_MAX];
    regex_t re;
    int lineno;
};

/* "vendor "NAME" KIND REGEX": evidence of KIND matching REGEX names the maker. */
struct rules_vendor {
    char name[RULES_NAME_MAX];
    char kind[RULES_NAME_MAX];
    uint32_t kind_hash;
    regex_t re;
};

struct rules {
    struct rules_class *classes;
    size_t n_classes;
    struct rules_rule *rules;
    size_t n_rules;
    struct rules_vendor *vendors;
    size_t n_vendors;
};

/*
 * Reads a rules file into r, adding to what r holds already (so a user's
 * file extends the shipped one; a class defined again replaces the
 * earlier definition's criticality and description). The format is in
 * data/device-rules.conf. Returns 0, or -1 with "FILE line N: what" in err
 * (RULES_ERROR_LEN bytes); r keeps what was read before the bad line.
 */
int rules_load(struct rules *r, const char *path, char *err);
void rules_free(struct rules *r);

/* A hash of an evidence kind, to find the rules of a kind without comparing names. */
uint32_t rules_kind_hash(const char *kind);

/* Whether some vendor rule reads evidence of this kind (hash from rules_kind_hash). */
bool rules_kind_names_vendor(const struct rules *r, uint32_t kind_hash);

/* The index of a class by name, or -1. */
int rules_class_find(const struct rules *r, const char *name);

/* Whether value (len bytes, any content) matches a compiled rule pattern. */
bool rules_match(const regex_t *re, const char *value, size_t len);

const char *rules_criticality_name(enum criticality c);
/* The criticality of a name rules_criticality_name gives. Returns 0, or -1 for another name. */
int rules_criticality_parse(const char *s, enum criticality *out);

/*
 * Finds the shipped rules file: $WARDWATCH_DATA/NAME, then data/NAME beside
 * the executable or two levels above it (a build directory), then
 * /usr/share/wardwatch/NAME. Writes the path into out; -1 when none exists.
 */
int rules_find_data(const char *name, char *out, size_t out_len);

#endif
