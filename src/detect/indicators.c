/* SPDX-License-Identifier: MIT */
/* indicators: the user's list of known-bad addresses and domains (indicators.h). */
#include "detect/indicators.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/events.h"
#include "output/json.h"
#include "util/grow.h"
#include "util/u64set.h"

#define DOMAIN_MAX 253 /* RFC 1035 section 2.3.4, without the final dot */

enum ind_kind { IND_IP, IND_NET, IND_DOMAIN };

struct indicator {
    enum ind_kind kind;
    uint8_t family; /* IND_IP, IND_NET */
    uint8_t addr[16];
    uint8_t bits;   /* IND_NET */
    char domain[DOMAIN_MAX + 1];
    char note[INDICATOR_NOTE_MAX + 1];
    unsigned line;
};

struct indicators {
    struct indicator *list;
    size_t n, cap;
    struct u64set ips, domains; /* hashes: a quick "no" before the list is searched */
    struct u64set alerted;      /* (indicator, device) pairs alerted already */
    size_t *nets;               /* indexes of the networks in list: the ones searched */
    size_t n_nets, cap_nets;
    struct eve_writer *eve;
    uint64_t alerts;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 0x100000001b3ull;
    }
    return h ? h : 1;
}

static uint64_t addr_hash(uint8_t family, const uint8_t *a)
{
    return hash_bytes(0xcbf29ce484222325ull ^ family, a, family == 6 ? 16 : 4);
}

static uint64_t domain_hash(const char *d, size_t n)
{
    return hash_bytes(0x84222325cbf29ce4ull, d, n);
}

/* ---- reading the file ---------------------------------------------------- */

static int parse_addr(const char *s, uint8_t *family, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = 6;
        return 0;
    }
    return -1;
}

static const char *parse_net(char *value, struct indicator *in)
{
    char *slash = strchr(value, '/'), *end;
    long bits;

    if (slash == NULL) {
        return "a network is ADDRESS/BITS";
    }
    *slash = '\0';
    if (parse_addr(value, &in->family, in->addr) < 0) {
        return "not an IPv4 or IPv6 address";
    }
    errno = 0;
    bits = strtol(slash + 1, &end, 10);
    if (errno != 0 || *end != '\0' || end == slash + 1 || bits < 0 ||
        bits > (in->family == 6 ? 128 : 32)) {
        return "the prefix length is not a number from 0 to 32 (IPv4) or 128 (IPv6)";
    }
    in->bits = (uint8_t)bits;
    return NULL;
}

/* Lower case, no final dot; letters, digits, '-', '_' and '.' only. */
static const char *parse_domain(const char *value, struct indicator *in)
{
    size_t n = strlen(value);

    if (n > 0 && value[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n > DOMAIN_MAX) {
        return "a domain name is 1 to 253 characters";
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];

        if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
            return "a domain name holds letters, digits, '-', '_' and '.' only";
        }
        in->domain[i] = (char)tolower(c);
    }
    in->domain[n] = '\0';
    return NULL;
}

/* One line's indicator into in. Returns NULL, or what is wrong. */
static const char *parse_line(char *line, struct indicator *in)
{
    char *kind = strtok(line, " \t\r\n"), *value = strtok(NULL, " \t\r\n");
    char *note = strtok(NULL, "\r\n");

    if (value == NULL) {
        return "expected `ip ADDRESS`, `net ADDRESS/BITS` or `domain NAME`";
    }
    while (note != NULL && (*note == ' ' || *note == '\t')) {
        note++;
    }
    snprintf(in->note, sizeof(in->note), "%s", note != NULL ? note : "");
    if (strcmp(kind, "ip") == 0) {
        in->kind = IND_IP;
        return parse_addr(value, &in->family, in->addr) < 0 ? "not an IPv4 or IPv6 address"
                                                              : NULL;
    }
    if (strcmp(kind, "net") == 0) {
        in->kind = IND_NET;
        return parse_net(value, in);
    }
    if (strcmp(kind, "domain") == 0) {
        in->kind = IND_DOMAIN;
        return parse_domain(value, in);
    }
    return "the kind is not ip, net or domain";
}

static int add(struct indicators *ind, const struct indicator *in)
{
    if (ind->n == ind->cap) {
        size_t cap = ind->cap ? 2 * ind->cap : 64;
        struct indicator *nl = realloc(ind->list, cap * sizeof(*nl));

        if (nl == NULL) {
            return -1;
        }
        ind->list = nl;
        ind->cap = cap;
    }
    ind->list[ind->n++] = *in;
    if (in->kind == IND_IP) {
        return u64set_add(&ind->ips, addr_hash(in->family, in->addr)) < 0 ? -1 : 0;
    }
    if (in->kind == IND_DOMAIN) {
        return u64set_add(&ind->domains, domain_hash(in->domain, strlen(in->domain))) < 0 ? -1
                                                                                          : 0;
    }
    size_t *grown = grow_to_index(ind->nets, &ind->cap_nets, sizeof(*grown), ind->n_nets);

    if (grown == NULL) {
        return -1;
    }
    ind->nets = grown;
    ind->nets[ind->n_nets++] = ind->n - 1;
    return 0;
}

static int read_lines(struct indicators *ind, FILE *f, const char *path, char *err)
{
    char line[1024];
    unsigned n = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        struct indicator in = {.line = ++n};
        const char *p = line, *why;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') {
            continue;
        }
        why = parse_line(line, &in);
        if (why == NULL && add(ind, &in) < 0) {
            why = "out of memory";
        }
        if (why != NULL) {
            snprintf(err, INDICATORS_ERROR_LEN, "%s line %u: %s", path, n, why);
            return -1;
        }
    }
    return 0;
}

struct indicators *indicators_load(const char *path, struct eve_writer *eve, char *err)
{
    struct indicators *ind = calloc(1, sizeof(*ind));
    FILE *f = fopen(path, "r");

    if (f == NULL || ind == NULL) {
        snprintf(err, INDICATORS_ERROR_LEN, "%s: %s", path, f == NULL ? strerror(errno)
                                                                      : "out of memory");
        if (f != NULL) {
            fclose(f);
        }
        free(ind);
        return NULL;
    }
    ind->eve = eve;
    if (read_lines(ind, f, path, err) < 0) {
        fclose(f);
        indicators_free(ind);
        return NULL;
    }
    fclose(f);
    return ind;
}

void indicators_free(struct indicators *ind)
{
    if (ind == NULL) {
        return;
    }
    u64set_free(&ind->ips);
    u64set_free(&ind->domains);
    u64set_free(&ind->alerted);
    free(ind->nets);
    free(ind->list);
    free(ind);
}

size_t indicators_count(const struct indicators *ind)
{
    return ind->n;
}

uint64_t indicators_alerts(const struct indicators *ind)
{
    return ind->alerts;
}

/* ---- matching ------------------------------------------------------------ */

static bool in_net(const struct indicator *in, uint8_t family, const uint8_t *a)
{
    unsigned full = in->bits / 8, rest = in->bits % 8;

    if (in->family != family || memcmp(in->addr, a, full) != 0) {
        return false;
    }
    return rest == 0 || ((in->addr[full] ^ a[full]) & (0xff00u >> rest) & 0xff) == 0;
}

/* The indicator an address is on, or NULL: the list is searched only on a hash hit. */
static const struct indicator *match_addr(const struct indicators *ind, uint8_t family,
                                          const uint8_t *a)
{
    if (u64set_has(&ind->ips, addr_hash(family, a))) {
        for (size_t i = 0; i < ind->n; i++) {
            const struct indicator *in = &ind->list[i];

            if (in->kind == IND_IP && in->family == family &&
                memcmp(in->addr, a, family == 6 ? 16 : 4) == 0) {
                return in;
            }
        }
    }
    for (size_t i = 0; i < ind->n_nets; i++) {
        if (in_net(&ind->list[ind->nets[i]], family, a)) {
            return &ind->list[ind->nets[i]];
        }
    }
    return NULL;
}

/* The indicator a name or one of the domains above it is on, or NULL. */
static const struct indicator *match_name(const struct indicators *ind, const char *name,
                                          size_t len)
{
    char low[DOMAIN_MAX + 1];

    if (len > 0 && name[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > DOMAIN_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        low[i] = (char)tolower((unsigned char)name[i]);
    }
    low[len] = '\0';
    for (const char *d = low; d != NULL; d = strchr(d, '.') != NULL ? strchr(d, '.') + 1 : NULL) {
        if (!u64set_has(&ind->domains, domain_hash(d, strlen(d)))) {
            continue;
        }
        for (size_t i = 0; i < ind->n; i++) {
            if (ind->list[i].kind == IND_DOMAIN && strcmp(ind->list[i].domain, d) == 0) {
                return &ind->list[i];
            }
        }
    }
    return NULL;
}

static const char *const categories[] = {"Known bad address", "Known bad network",
                                         "Known bad domain"};

/* Whether this indicator was alerted for this device already; marks it if not. */
static bool alerted_before(struct indicators *ind, const struct indicator *in, uint8_t family,
                           const uint8_t *device)
{
    uint64_t key = addr_hash(family, device) * 31 + (uint64_t)(in - ind->list) + 1;

    return u64set_add(&ind->alerted, key) == 0;
}

static void write_alert(struct jbuf *jb, const struct indicator *in, const char *seen)
{
    char sig[512];

    snprintf(sig, sizeof(sig), "wardwatch indicator: %s%s%s%s", seen,
             in->note[0] != '\0' ? " (" : "", in->note, in->note[0] != '\0' ? ")" : "");
    jb_object_open(jb, "alert");
    jb_str(jb, "action", "allowed");
    jb_u64(jb, "gid", 1);
    jb_u64(jb, "signature_id", in->line);
    jb_u64(jb, "rev", 1);
    jb_str(jb, "signature", sig);
    jb_str(jb, "category", categories[in->kind]);
    jb_u64(jb, "severity", 1);
    jb_object_close(jb);
}

void indicators_flow(struct indicators *ind, const struct ww_flow *f)
{
    for (int side = 0; side < 2; side++) {
        const uint8_t *a = flow_side_addr(f, side), *local = flow_side_addr(f, !side);
        const struct indicator *in = match_addr(ind, f->key.family, a);
        char ip[INET6_ADDRSTRLEN] = "?";
        struct jbuf *jb;

        if (in == NULL || alerted_before(ind, in, f->key.family, local)) {
            continue;
        }
        inet_ntop(f->key.family == 6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
        jb = eve_begin(ind->eve, f->first_us, "alert");
        events_flow_fields(jb, f);
        write_alert(jb, in, ip);
        eve_commit(ind->eve);
        ind->alerts++;
    }
}

void indicators_evidence(void *arg, const struct proto_evidence *ev)
{
    struct indicators *ind = arg;
    const struct indicator *in;
    char seen[DOMAIN_MAX + 64];
    struct jbuf *jb;

    if (strcmp(ev->kind, "dns.query") != 0 && strcmp(ev->kind, "tls.sni") != 0 &&
        strcmp(ev->kind, "http.host") != 0) {
        return;
    }
    in = match_name(ind, ev->value, ev->value_len);
    /* The device that asked: the flow's client (SNI and Host are the server's evidence). */
    if (in == NULL || ev->flow == NULL ||
        alerted_before(ind, in, ev->family, flow_side_addr(ev->flow, 0))) {
        return;
    }
    snprintf(seen, sizeof(seen), "%s %.*s", ev->kind,
             (int)(ev->value_len < DOMAIN_MAX ? ev->value_len : DOMAIN_MAX), ev->value);
    jb = eve_begin(ind->eve, ev->ts_us, "alert");
    events_flow_fields(jb, ev->flow);
    write_alert(jb, in, seen);
    eve_commit(ind->eve);
    ind->alerts++;
}
