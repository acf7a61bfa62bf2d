/* SPDX-License-Identifier: MIT */
/* flow: bidirectional flows keyed by 5-tuple and VLAN, with timeouts. */
#ifndef WW_FLOW_FLOW_H
#define WW_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/stream.h"

#define FLOW_TOSERVER 0
#define FLOW_TOCLIENT 1

/* Default timeouts, seconds of capture time without a packet. */
#define FLOW_TCP_NEW_TIMEOUT 60
#define FLOW_TCP_EST_TIMEOUT 600
#define FLOW_TCP_CLOSED_TIMEOUT 60 /* late ACKs and retransmitted FINs */
#define FLOW_OTHER_NEW_TIMEOUT 30
#define FLOW_OTHER_EST_TIMEOUT 300
/* A flow still busy after this long is ended and begun anew (seconds). */
#define FLOW_LIFETIME_MAX 3600
#define FLOW_MEMCAP_DEFAULT (128u << 20)
#define FLOW_MEMCAP_MIN (64u << 10)
/* Timeouts are kept on a wheel of one-second slots: none may be longer. */
#define FLOW_WHEEL_SLOTS 4096
#define FLOW_TIMEOUT_MAX (FLOW_WHEEL_SLOTS - 1)

/*
 * The key is canonical: endpoint 0 is the smaller (address, port) pair, so
 * both directions of a conversation find the same flow. 48 bytes, hashed
 * and compared as six 64-bit words.
 */
struct flow_key {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint16_t vlan[2];
    uint8_t proto;
    uint8_t family;
    uint8_t pad[6];
};

enum flow_tcp_state {
    FLOW_TCP_NONE = 0,
    FLOW_TCP_SYN_SENT,
    FLOW_TCP_SYN_RECV,
    FLOW_TCP_ESTABLISHED,
    FLOW_TCP_FIN_WAIT,
    FLOW_TCP_CLOSED,
};

enum flow_end_reason {
    FLOW_END_TIMEOUT = 0, /* idle longer than its state's timeout */
    FLOW_END_EVICTED,     /* the table was full and this was the oldest idle */
    FLOW_END_LIFETIME,    /* busy longer than the lifetime limit */
    FLOW_END_SHUTDOWN,    /* input ended */
    FLOW_END_REUSED,      /* a new connection (SYN) came on the 5-tuple of a closed one */
    FLOW_END_MAX
};

/* Timeout classes: a flow's state picks its idle timeout. */
enum flow_list {
    FLOW_LIST_TCP_NEW = 0,
    FLOW_LIST_TCP_EST,
    FLOW_LIST_TCP_CLOSED,
    FLOW_LIST_OTHER_NEW,
    FLOW_LIST_OTHER_EST,
    FLOW_LIST_MAX
};

struct flow_dir {
    uint64_t pkts;
    uint64_t bytes; /* frame bytes on the wire, as Suricata counts them */
    uint64_t last_us, first_us; /* capture time of its last and first packet */
    uint8_t tcp_flags;          /* OR of all flags seen */
    bool fin;
};

/*
 * Laid out for the per-packet path: the first 64-byte line holds all a
 * lookup reads, the second the times and the counters of the way to the
 * server, the third those of the way back; the rest is seldom touched.
 */
struct ww_flow {
    struct flow_key key;
    uint64_t hash;
    uint32_t hnext;  /* next flow in the same bucket, 0 = none */
    uint8_t list;    /* enum flow_list */
    uint8_t client;  /* key endpoint (0 or 1) that opened the flow */
    uint8_t tcp_state;
    bool rst;
    /* second line */
    uint64_t first_us, last_us;   /* capture time, microseconds */
    bool midstream;               /* first packet was not a SYN */
    bool stream_off;              /* application layer wants no stream data */
    uint8_t icmp_type, icmp_code; /* from the first packet, for Community ID */
    struct flow_dir dir[2];       /* FLOW_TOSERVER, FLOW_TOCLIENT */
    uint8_t app_proto;            /* enum app_proto, set by the application layer */
    /* cold */
    uint32_t lprev, lnext; /* neighbours in its timer wheel slot, 0 = none */
    uint16_t wheel_slot;   /* the slot it is linked in */
    uint64_t id; /* flow_id in events: unique per run, below 2^51 */
    uint8_t client_mac[6], server_mac[6];
    struct stream_dir stream[2]; /* reassembly state per direction */
    void *app; /* application-layer state, owned by the app layer */
} __attribute__((aligned(64)));


struct flow_config {
    uint32_t timeout[FLOW_LIST_MAX]; /* seconds */
    uint32_t lifetime;               /* seconds */
    size_t memcap;                   /* bytes for flows and the hash table */
    struct stream_config stream;
};

struct flow_stats {
    uint64_t created;
    uint64_t ended[FLOW_END_MAX];
    uint64_t active;
    uint64_t active_peak;
    uint64_t untracked_fragments; /* later fragments: no ports to key on */
    uint32_t capacity;            /* flows the memcap allows */
};

struct flow_table;

/* Called once for each flow that ends, before its slot is reused. */
typedef void (*flow_end_fn)(void *ctx, const struct ww_flow *f, enum flow_end_reason why);

void flow_config_default(struct flow_config *cfg);

/*
 * Makes a table sized by cfg->memcap. Returns NULL when memory cannot be
 * had or the memcap is below FLOW_MEMCAP_MIN. The caller frees it with
 * flow_table_free, which ends no flows (call flow_table_flush first).
 */
struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ctx);
void flow_table_free(struct flow_table *t);

/* Where stream data of every flow goes; NULL turns reassembly off. */
void flow_table_set_stream_handler(struct flow_table *t, stream_data_fn fn, void *ctx);

/* True when packets handed in must carry their payload (reassembly is on). */
bool flow_table_wants_payload(const struct flow_table *t);

/*
 * Accounts a decoded IP packet to its flow, creating the flow when new.
 * Returns the flow and sets *dir to FLOW_TOSERVER or FLOW_TOCLIENT, or
 * returns NULL for a packet no flow can hold (a later fragment). The flow
 * stays owned by the table and is valid until the next call.
 */
struct ww_flow *flow_table_packet(struct flow_table *t, const struct ww_packet *p, int *dir);

/*
 * The same in two steps, so that a caller holding several packets can start
 * the memory loads of later ones while it works on earlier ones:
 * flow_table_prepare computes a packet's key and hash and prefetches its
 * bucket; flow_table_prefetch, called a little later, prefetches the flow
 * the bucket points to; flow_table_packet_prepared does the work. Prepared
 * lookups stay valid whatever the table does meanwhile (the hints may just
 * miss).
 */
struct flow_lookup {
    struct flow_key key;
    uint64_t hash;
    int swapped;
};

void flow_table_prepare(const struct flow_table *t, const struct ww_packet *p,
                        struct flow_lookup *lk);
void flow_table_prefetch(const struct flow_table *t, const struct flow_lookup *lk);
struct ww_flow *flow_table_packet_prepared(struct flow_table *t, const struct ww_packet *p,
                                           const struct flow_lookup *lk, int *dir);

/* Ends every flow idle past its timeout at capture time now_us. */
void flow_table_expire(struct flow_table *t, uint64_t now_us);

/* Ends every flow, with reason FLOW_END_SHUTDOWN. */
void flow_table_flush(struct flow_table *t);

const struct flow_stats *flow_table_stats(const struct flow_table *t);
const struct stream_stats *flow_table_stream_stats(const struct flow_table *t);

const char *flow_tcp_state_name(enum flow_tcp_state st);
const char *flow_end_reason_name(enum flow_end_reason why);

/*
 * Writes the flow's Community ID v1 (seed 0) into out, which must hold
 * FLOW_COMMUNITY_ID_LEN + 1 bytes, NUL-terminated.
 */
#define FLOW_COMMUNITY_ID_LEN 30
void flow_community_id(const struct ww_flow *f, char *out);

/* Address and port of one side of a flow: 0 the client (opener), 1 the server. */
static inline const uint8_t *flow_side_addr(const struct ww_flow *f, int side)
{
    return f->key.addr[side ^ f->client];
}

/* Whether the first packet of a way answered: a SYN-ACK on TCP, anything on other transports. */
static inline bool flow_answered(const struct ww_flow *f, int dir)
{
    return f->key.proto != 6 /* TCP */ ||
           (f->dir[dir].tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
}

static inline uint16_t flow_side_port(const struct ww_flow *f, int side)
{
    return f->key.port[side ^ f->client];
}

#endif
