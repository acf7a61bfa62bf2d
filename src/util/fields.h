/* SPDX-License-Identifier: MIT */
/* fields: lines of "a | b | c" data files, and names compared word by word. */
#ifndef WW_UTIL_FIELDS_H
#define WW_UTIL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

/* s without its leading and trailing blanks (cut in place). */
char *fields_trim(char *s);

/*
 * Cuts s in place at each occurrence of sep into trimmed fields, the first
 * n kept in field[]. Returns how many fields there were (which may exceed n).
 */
int fields_split(char *s, const char *sep, char *field[], int n);

/*
 * Whether every word of needle (a run of letters and digits) is a word of
 * hay, ignoring case: "Becton Dickinson" is within "Becton, Dickinson and
 * Company", "Lantronix" is not within "NotLantronix". False when needle has
 * no word.
 */
bool fields_words_within(const char *needle, const char *hay);

/* Takes one line (trimmed, cut at its end); returns 0, or -1 with the reason in why. */
typedef int (*fields_line_fn)(void *arg, char *line, unsigned no, char *why, size_t why_len);

/*
 * Hands every line of the file at path that is not blank or a '#' comment
 * to fn, with its number, up to line_max bytes each. Stops at the first
 * line fn refuses or that is too long. Returns 0, or -1 with "PATH:LINE:
 * why" (or "PATH: why") in err, err_len bytes.
 */
int fields_read_file(const char *path, size_t line_max, fields_line_fn fn, void *arg, char *err,
                     size_t err_len);

#endif
