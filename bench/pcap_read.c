/* SPDX-License-Identifier: MIT */
/*
 * pcap_read: the bare libpcap read loop bench/run measures the others
 * against. It opens a capture, calls pcap_next_ex until the end and counts
 * packets and bytes; nothing is decoded.
 *
 * By default the file is read through a 1 MiB stdio buffer, as wardwatch
 * reads it, so the ratio measures processing rather than read sizes;
 * --default-buffer uses plain pcap_open_offline (4 KiB reads) instead.
 *
 * Prints one line:
 *   packets N bytes B seconds S pps P process_seconds T process_pps Q
 * S and P time the read loop only (CLOCK_MONOTONIC, wall time); T and Q
 * time from process start to the end of the loop (10 ms resolution).
 * bench/run's ratios use neither: it times every tool as a whole process
 * from outside, the same way for all.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1e9
#define READ_BUF_LEN (1u << 20) /* bytes of stdio buffer, as wardwatch's capture uses */

static char read_buf[READ_BUF_LEN];

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / NS_PER_S;
}

/* Seconds since this process started, from /proc/self/stat; -1 if unknown. */
static double process_age_s(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    unsigned long long start_ticks = 0;
    struct timespec up;
    long hz = sysconf(_SC_CLK_TCK);
    int n;

    if (f == NULL) {
        return -1.0;
    }
    /* Field 22 is starttime, in clock ticks since boot; field 2 has no spaces here. */
    n = fscanf(f,
               "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d"
               " %*d %*d %*d %llu",
               &start_ticks);
    fclose(f);
    if (n != 1 || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &up) != 0) {
        return -1.0;
    }
    return (double)up.tv_sec + (double)up.tv_nsec / NS_PER_S - (double)start_ticks / (double)hz;
}

/* Opens path with a READ_BUF_LEN stdio buffer, or libpcap's default; NULL on error. */
static pcap_t *open_capture(const char *path, int default_buffer, char *err)
{
    FILE *fp;
    pcap_t *p;

    if (default_buffer) {
        return pcap_open_offline(path, err);
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err, PCAP_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return NULL;
    }
    setvbuf(fp, read_buf, _IOFBF, sizeof(read_buf));
    p = pcap_fopen_offline(fp, err);
    if (p == NULL) {
        fclose(fp);
    }
    return p;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t n_pkts = 0, n_bytes = 0;
    double t0, secs, age;
    pcap_t *p;
    int rc;

    int default_buffer = argc == 3 && strcmp(argv[1], "--default-buffer") == 0;
    const char *path = argv[argc - 1];

    if (argc != 2 + default_buffer) {
        fprintf(stderr, "usage: pcap-read [--default-buffer] CAPTURE\n");
        return 2;
    }
    p = open_capture(path, default_buffer, err);
    if (p == NULL) {
        fprintf(stderr, "pcap-read: %s\n", err);
        return 1;
    }
    t0 = mono_s();
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        n_pkts++;
        n_bytes += h->caplen;
    }
    secs = mono_s() - t0;
    age = process_age_s();
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap-read: %s: %s\n", path, pcap_geterr(p));
    }
    pcap_close(p);
    printf("packets %llu bytes %llu seconds %.3f pps %.0f process_seconds %.3f "
           "process_pps %.0f\n",
           (unsigned long long)n_pkts, (unsigned long long)n_bytes, secs,
           secs > 0 ? (double)n_pkts / secs : 0.0, age, age > 0 ? (double)n_pkts / age : 0.0);
    return rc == PCAP_ERROR ? 1 : 0;
}
