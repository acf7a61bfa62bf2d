/* SPDX-License-Identifier: MIT */
/* fields: lines of "a | b | c" data files, and names compared word by word. */
#ifndef WW_UTIL_FIELDS_H
#define WW_UTIL_FIELDS_H

#include <stdbool.h>

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

#endif
