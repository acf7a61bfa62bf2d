/* SPDX-License-Identifier: MIT */
/* capture: pcap and pcapng files read as one timeline in time order. */
#ifndef WW_CAPTURE_CAPTURE_H
#define WW_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"

#define CAPTURE_FILES_MAX 4096
#define CAPTURE_ERROR_LEN 320

/* What happened to one input file. */
struct capture_file_info {
    const char *path;
    int linktype;
    uint64_t packets;
    uint64_t size;    /* bytes on disk, 0 if unknown */
    bool failed;      /* could not be opened, or ended with an error */
    char error[CAPTURE_ERROR_LEN]; /* why, when failed */
};

struct capture_set;

/*
 * Opens every path. A file that cannot be read as a capture is marked
 * failed with a reason and skipped; the others are read. Returns NULL only
 * when memory cannot be had or n is 0 or over CAPTURE_FILES_MAX. Paths are
 * borrowed and must outlive the set.
 */
struct capture_set *capture_open(const char *const *paths, int n);
void capture_close(struct capture_set *cs);

/*
 * Fills the capture fields of p with the next packet across all files in
 * time order (a tie goes to the file named first). Returns 1 for a packet,
 * 0 when every file is done. p->data stays valid until the next call.
 */
int capture_next(struct capture_set *cs, struct ww_packet *p);

int capture_file_count(const struct capture_set *cs);
const struct capture_file_info *capture_file(const struct capture_set *cs, int i);

/* Bytes read so far and bytes in all files, for a progress bar. */
void capture_progress(const struct capture_set *cs, uint64_t *done, uint64_t *total);

#endif
