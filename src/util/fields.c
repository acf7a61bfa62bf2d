/* SPDX-License-Identifier: MIT */
/* fields: lines of "a | b | c" data files, and names compared word by word (fields.h). */
#include "util/fields.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *fields_trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) {
        *--end = '\0';
    }
    return s;
}

int fields_split(char *s, const char *sep, char *field[], int n)
{
    size_t len = strlen(sep);

    for (int got = 0;; got++) {
        char *cut = strstr(s, sep);

        if (cut != NULL) {
            *cut = '\0';
        }
        if (got < n) {
            field[got] = fields_trim(s);
        }
        if (cut == NULL) {
            return got + 1;
        }
        s = cut + len;
    }
}

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) != 0;
}

/* Whether the word w (len bytes) is a word of hay. */
static bool has_word(const char *hay, const char *w, size_t len)
{
    for (const char *p = hay; *p != '\0'; p++) {
        if ((p == hay || !is_word_char(p[-1])) && strncasecmp(p, w, len) == 0 &&
            !is_word_char(p[len])) {
            return true;
        }
    }
    return false;
}

bool fields_words_within(const char *needle, const char *hay)
{
    bool any = false;

    for (const char *p = needle; *p != '\0';) {
        size_t len = 0;

        while (*p != '\0' && !is_word_char(*p)) {
            p++;
        }
        while (is_word_char(p[len])) {
            len++;
        }
        if (len == 0) {
            break;
        }
        if (!has_word(hay, p, len)) {
            return false;
        }
        any = true;
        p += len;
    }
    return any;
}

int fields_read_file(const char *path, size_t line_max, fields_line_fn fn, void *arg, char *err,
                     size_t err_len)
{
    char *line = malloc(line_max + 2), why[320];
    FILE *f = line != NULL ? fopen(path, "r") : NULL;
    unsigned no = 0;
    int rc = 0;

    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", path, line == NULL ? "out of memory" : strerror(errno));
        free(line);
        return -1;
    }
    while (rc == 0 && fgets(line, (int)line_max + 2, f) != NULL) {
        size_t n = strlen(line);
        char *p;

        no++;
        if (n == line_max + 1 && line[n - 1] != '\n') {
            snprintf(err, err_len, "%s:%u: line longer than %zu bytes", path, no, line_max);
            rc = -1;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        p = fields_trim(line);
        if (*p == '\0' || *p == '#') {
            continue;
        }
        rc = fn(arg, p, no, why, sizeof(why));
        if (rc < 0) {
            snprintf(err, err_len, "%s:%u: %s", path, no, why);
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    free(line);
    return rc;
}
