/* SPDX-License-Identifier: MIT */
/*
 * pcap_files: reads capture files and merges them by packet time with a
 * binary heap of the files' next packets. Classic pcap files (the libpcap
 * file format, draft-ietf-opsawg-pcap) are read here, in place from a
 * prefetching reader; pcapng and anything else goes through libpcap.
 */
#include "capture/capture.h"
#include "capture/prefetch.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CAPTURE_IOBUF_LEN (1u << 20)
#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN 16
#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_LINKTYPE_MASK 0x03ffffffu /* the upper bits say FCS, not link type */
#define PCAP_CAPLEN_MAX 262144u        /* libpcap's largest snapshot length */

struct capture_input {
    struct prefetch *pf; /* a classic pcap file, read here */
    bool swapped;        /* its header fields are in the other byte order */
    bool nsec;           /* its time stamps are in nanoseconds */
    pcap_t *pcap;        /* anything else, read by libpcap */
    char *iobuf; /* stdio buffer of the file libpcap reads */
    struct capture_file_info info;
    /* the packet read ahead, waiting its turn in the heap */
    uint64_t ts_us;
    const uint8_t *data;
    uint32_t caplen, wirelen;
    uint64_t done_bytes; /* position when the file was closed */
};

struct capture_set {
    struct capture_input *in;
    int n;
    int *heap; /* indexes of inputs with a packet waiting, earliest first */
    int n_heap;
    bool handed_out; /* heap[0]'s packet is in the caller's hands */
};

static bool heap_less(const struct capture_set *cs, int a, int b)
{
    const struct capture_input *x = &cs->in[a], *y = &cs->in[b];

    return x->ts_us < y->ts_us || (x->ts_us == y->ts_us && a < b);
}

static void heap_swap(struct capture_set *cs, int i, int j)
{
    int tmp = cs->heap[i];

    cs->heap[i] = cs->heap[j];
    cs->heap[j] = tmp;
}

static void heap_up(struct capture_set *cs, int i)
{
    while (i > 0 && heap_less(cs, cs->heap[i], cs->heap[(i - 1) / 2])) {
        heap_swap(cs, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct capture_set *cs, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;

        if (l < cs->n_heap && heap_less(cs, cs->heap[l], cs->heap[m])) {
            m = l;
        }
        if (r < cs->n_heap && heap_less(cs, cs->heap[r], cs->heap[m])) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(cs, i, m);
        i = m;
    }
}

static uint64_t input_position(const struct capture_input *in)
{
    FILE *fp;
    long pos;

    if (in->pf != NULL) {
        return prefetch_position(in->pf);
    }
    if (in->pcap == NULL) {
        return in->done_bytes;
    }
    fp = pcap_file(in->pcap);
    pos = fp != NULL ? ftell(fp) : -1;
    return pos > 0 ? (uint64_t)pos : 0;
}

static void input_close(struct capture_input *in)
{
    if (in->pf != NULL) {
        in->done_bytes = in->info.size;
        prefetch_close(in->pf);
        in->pf = NULL;
    }
    if (in->pcap != NULL) {
        in->done_bytes = in->info.size;
        pcap_close(in->pcap);
        in->pcap = NULL;
    }
    free(in->iobuf);
    in->iobuf = NULL;
}

static void input_fail(struct capture_input *in, const char *why)
{
    in->info.failed = true;
    snprintf(in->info.error, sizeof(in->info.error), "%s", why);
    input_close(in);
}

static uint32_t field32(const struct capture_input *in, const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;

    return in->swapped ? __builtin_bswap32(v) : v;
}

/* Fails a classic file cut short (rc 0, got of want bytes of what) or unreadable (rc < 0). */
static int classic_fail(struct capture_input *in, int rc, size_t got, size_t want,
                        const char *what)
{
    char why[CAPTURE_ERROR_LEN];

    if (rc < 0) {
        snprintf(why, sizeof(why), "error reading dump file: %s", strerror(-rc));
    } else {
        snprintf(why, sizeof(why), "truncated dump file; tried to read %zu %s bytes, only got %zu",
                 want, what, got);
    }
    input_fail(in, why);
    return 0;
}

/* The next record of a classic pcap file. Returns 1, or 0 at its end or on an error. */
static int classic_read(struct capture_input *in)
{
    const uint8_t *h, *data;
    size_t got;
    int rc = prefetch_read(in->pf, PCAP_REC_HDR_LEN, &h, &got);

    if (rc == 0 && got == 0) { /* the end, between records */
        input_close(in);
        return 0;
    }
    if (rc != 1) {
        return classic_fail(in, rc, got, PCAP_REC_HDR_LEN, "header");
    }
    uint32_t sec = field32(in, h), frac = field32(in, h + 4);
    uint32_t caplen = field32(in, h + 8), len = field32(in, h + 12);

    if (caplen > PCAP_CAPLEN_MAX) {
        char why[CAPTURE_ERROR_LEN];

        snprintf(why, sizeof(why), "invalid packet capture length %u, bigger than %u: the file "
                 "is damaged from packet %llu on", caplen, PCAP_CAPLEN_MAX,
                 (unsigned long long)in->info.packets + 1);
        input_fail(in, why);
        return 0;
    }
    rc = prefetch_read(in->pf, caplen, &data, &got);
    if (rc != 1) {
        return classic_fail(in, rc, got, caplen, "captured");
    }
    in->ts_us = (uint64_t)sec * 1000000u + (in->nsec ? frac / 1000u : frac);
    in->data = data;
    in->caplen = caplen;
    in->wirelen = len < caplen ? caplen : len;
    in->info.packets++;
    return 1;
}

/* Reads the next packet of one file. Returns 1, or 0 at its end or on error. */
static int input_read(struct capture_input *in)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc;

    if (in->pf != NULL) {
        return classic_read(in);
    }
    if (in->pcap == NULL) {
        return 0;
    }
    rc = pcap_next_ex(in->pcap, &hdr, &data);
    if (rc == 1) {
        in->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
        in->data = data;
        in->caplen = hdr->caplen;
        in->wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
        in->info.packets++;
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK) {
        input_close(in);
    } else {
        input_fail(in, pcap_geterr(in->pcap));
    }
    return 0;
}

/* libpcap often starts its message with the path, which the caller prints. */
static const char *strip_path(const char *msg, const char *path)
{
    size_t n = strlen(path);

    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') {
        return msg + n + 2;
    }
    return msg;
}

/*
 * Opens path when it is a classic pcap file of version 2. Returns false,
 * with nothing left open, for anything else: libpcap reads or names it.
 */
static bool classic_open(struct capture_input *in, const char *path)
{
    const uint8_t *h;
    size_t got;
    uint32_t magic;

    in->pf = prefetch_open(path);
    if (in->pf == NULL || prefetch_read(in->pf, PCAP_FILE_HDR_LEN, &h, &got) != 1) {
        prefetch_close(in->pf);
        in->pf = NULL;
        return false;
    }
    in->swapped = false;
    magic = field32(in, h);
    if (magic != PCAP_MAGIC_USEC && magic != PCAP_MAGIC_NSEC) {
        in->swapped = true;
        magic = field32(in, h);
    }
    in->nsec = magic == PCAP_MAGIC_NSEC;
    if ((magic != PCAP_MAGIC_USEC && magic != PCAP_MAGIC_NSEC) ||
        (field32(in, h + 4) & 0xffffu) != 2) {
        prefetch_close(in->pf);
        in->pf = NULL;
        return false;
    }
    in->info.linktype = (int)(field32(in, h + 20) & PCAP_LINKTYPE_MASK);
    return true;
}

/* Opens path with libpcap: pcapng, and whatever is not a classic pcap file. */
static void libpcap_open(struct capture_input *in, const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    FILE *fp;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        input_fail(in, strerror(errno));
        return;
    }
    /* libpcap reads record by record: a large buffer saves a syscall per 4 KiB. */
    in->iobuf = malloc(CAPTURE_IOBUF_LEN);
    if (in->iobuf != NULL) {
        setvbuf(fp, in->iobuf, _IOFBF, CAPTURE_IOBUF_LEN);
    }
    /* Microsecond timestamps whatever precision the file was written in. */
    in->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (in->pcap == NULL) {
        fclose(fp);
        if (strcmp(errbuf, "unknown file format") == 0 || errbuf[0] == '\0') {
            input_fail(in, "not a pcap or pcapng capture file (unknown file format)");
        } else {
            input_fail(in, strip_path(errbuf, path));
        }
        return;
    }
    in->info.linktype = pcap_datalink(in->pcap);
}

static void input_open(struct capture_input *in, const char *path)
{
    struct stat st;

    in->info.path = path;
    if (stat(path, &st) == 0) {
        in->info.size = (uint64_t)st.st_size;
    }
    if (!classic_open(in, path)) {
        libpcap_open(in, path);
    }
    if (!in->info.failed && !decode_link_supported(in->info.linktype)) {
        char why[CAPTURE_ERROR_LEN];
        const char *name = pcap_datalink_val_to_name(in->info.linktype);

        snprintf(why, sizeof(why), "link type %d (%s) is not one wardwatch decodes",
                 in->info.linktype, name != NULL ? name : "unknown");
        input_fail(in, why);
    }
}

struct capture_set *capture_open(const char *const *paths, int n)
{
    struct capture_set *cs;

    if (n <= 0 || n > CAPTURE_FILES_MAX) {
        return NULL;
    }
    cs = calloc(1, sizeof(*cs));
    if (cs == NULL) {
        return NULL;
    }
    cs->in = calloc((size_t)n, sizeof(*cs->in));
    cs->heap = calloc((size_t)n, sizeof(*cs->heap));
    if (cs->in == NULL || cs->heap == NULL) {
        capture_close(cs);
        return NULL;
    }
    cs->n = n;
    for (int i = 0; i < n; i++) {
        input_open(&cs->in[i], paths[i]);
        if (input_read(&cs->in[i]) == 1) {
            cs->heap[cs->n_heap++] = i;
            heap_up(cs, cs->n_heap - 1);
        }
    }
    return cs;
}

void capture_close(struct capture_set *cs)
{
    if (cs == NULL) {
        return;
    }
    for (int i = 0; cs->in != NULL && i < cs->n; i++) {
        input_close(&cs->in[i]);
    }
    free(cs->heap);
    free(cs->in);
    free(cs);
}

/* Reads ahead in the file whose packet was handed out last, and re-heaps it. */
static void advance_last(struct capture_set *cs)
{
    int top;

    if (!cs->handed_out) {
        return;
    }
    cs->handed_out = false;
    top = cs->heap[0];
    if (input_read(&cs->in[top]) == 1) {
        heap_down(cs, 0);
        return;
    }
    cs->heap[0] = cs->heap[--cs->n_heap];
    heap_down(cs, 0);
}

int capture_next(struct capture_set *cs, struct ww_packet *p)
{
    static const uint8_t empty[1];
    const struct capture_input *in;
    int top;

    advance_last(cs);
    if (cs->n_heap == 0) {
        return 0;
    }
    top = cs->heap[0];
    in = &cs->in[top];
    p->ts_us = in->ts_us;
    p->data = in->data != NULL ? in->data : empty;
    p->caplen = in->caplen;
    p->wirelen = in->wirelen;
    p->linktype = in->info.linktype;
    p->file_index = (uint32_t)top;
    p->file_pkt = in->info.packets;
    cs->handed_out = true;
    return 1;
}

int capture_file_count(const struct capture_set *cs)
{
    return cs->n;
}

const struct capture_file_info *capture_file(const struct capture_set *cs, int i)
{
    return &cs->in[i].info;
}

void capture_progress(const struct capture_set *cs, uint64_t *done, uint64_t *total)
{
    *done = 0;
    *total = 0;
    for (int i = 0; i < cs->n; i++) {
        *done += input_position(&cs->in[i]);
        *total += cs->in[i].info.size;
    }
}
