/* SPDX-License-Identifier: MIT */
/*
 * assess: what makes each device risky, as findings with their evidence
 * and a fix in plain words: logins in clear and default credentials,
 * patient data in clear, weak TLS, legacy services, exposure to the
 * internet. Fed by the parsers' evidence and credentials and by the flows;
 * each new finding is a `finding` event and, at the end, a stored row.
 */
#ifndef WW_ASSESS_ASSESS_H
#define WW_ASSESS_ASSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assess/credentials.h"
#include "assess/lifecycle.h"
#include "assess/vulns.h"
#include "flow/flow.h"
#include "inventory/inventory.h"
#include "output/eve.h"
#include "proto/proto.h"

#define FINDING_TEXT_MAX 512
#define FINDING_DETAIL_MAX 96

enum finding_kind {
    FIND_CLEARTEXT_LOGIN,     /* a login sent in clear (telnet, FTP, HTTP Basic, MQTT) */
    FIND_DEFAULT_CREDENTIALS, /* a login that succeeded with a published default */
    FIND_MQTT_ANONYMOUS,      /* an MQTT broker that lets clients in without credentials */
    FIND_PHI_HL7_CLEAR,       /* HL7 messages with patient identity (PID) over plain TCP */
    FIND_DICOM_STORE_CLEAR,   /* DICOM storage (C-STORE) over a plain association */
    FIND_OBSOLETE_TLS,        /* a server that chose SSL 3.0, TLS 1.0 or 1.1 */
    FIND_WEAK_CIPHER,         /* a server that chose a NULL, export, anonymous, RC4 or DES suite */
    FIND_EXPIRED_CERT,        /* a server certificate past its notAfter */
    FIND_SELF_SIGNED_CERT,    /* a server certificate whose issuer is its subject */
    FIND_LEGACY_SERVICE,      /* telnet, FTP, the r-services or SMBv1 offered */
    FIND_INTERNET_EXPOSED,    /* a service answered to an internet address */
    FIND_INTERNET_CONTACT,    /* a medical or clinical device that talked with the internet */
    FIND_VULNERABILITY,       /* a catalog entry matches the device's maker, product, version */
    FIND_OUTDATED_SOFTWARE,   /* software the traffic names, in a version out of support */
    FIND_KIND_MAX
};

enum finding_severity { FIND_HIGH = 1, FIND_MEDIUM = 2, FIND_LOW = 3 };

struct finding {
    enum finding_kind kind;
    uint32_t device;                  /* inventory id */
    uint32_t peer;                    /* the other end's inventory id, or 0 */
    enum finding_severity severity;
    char detail[FINDING_DETAIL_MAX];  /* what sets it apart from others of its kind */
    char evidence[FINDING_TEXT_MAX];  /* what was seen, in words */
    uint64_t first_us, last_us, count;
    /* a vulnerability's: its score, whether it is known exploited, how sure the match is */
    double cvss;
    bool exploited;
    enum vuln_confidence confidence;
};

/* A device opened a flow to another that answered on a service: one edge of the graph. */
struct assess_link {
    uint32_t client, server; /* inventory ids */
    uint8_t proto;           /* 6 TCP, 17 UDP */
    uint16_t port;
    uint64_t flows, first_us, last_us;
};

struct assess_config {
    struct inventory *inv;                 /* borrowed */
    struct eve_writer *eve;                /* borrowed; NULL: no events */
    const struct cred_catalog *credentials; /* borrowed; NULL: no default-credential checks */
    const struct vuln_catalog *vulns;       /* borrowed; NULL: no vulnerability matching */
    const struct lifecycle *lifecycle;      /* borrowed; NULL: no end-of-support checks */
};

struct assess;

struct assess *assess_new(const struct assess_config *cfg);
void assess_free(struct assess *a);

/* Evidence from the parsers, after the inventory has taken it. */
void assess_evidence(struct assess *a, const struct proto_evidence *ev);
/* A login's secret in clear (a proto_credential_fn; arg is the assessment). */
void assess_credential(void *arg, const struct proto_credential *c);
/* The first packet back of a flow: a service answered (legacy services, exposure). */
void assess_flow_reply(struct assess *a, const struct ww_flow *f, const uint32_t ids[2],
                       uint64_t ts_us);
/* A flow that ended: pending credentials of it are dropped. */
void assess_flow_end(struct assess *a, const struct ww_flow *f);
/*
 * At the end of input: the findings that need a device's final identity
 * (contact with the internet, known vulnerabilities).
 */
void assess_finish(struct assess *a);

size_t assess_count(const struct assess *a);
const struct finding *assess_finding(const struct assess *a, size_t i);

/* The links seen between the site's devices (at most ASSESS_LINKS_MAX; more are counted). */
#define ASSESS_LINKS_MAX 262144
size_t assess_link_count(const struct assess *a);
const struct assess_link *assess_link(const struct assess *a, size_t i);
uint64_t assess_links_dropped(const struct assess *a);

/* A severity made one step more severe on a device of high or life-sustaining criticality. */
enum finding_severity finding_severity_on(enum finding_severity s, enum criticality c);

const char *finding_kind_name(enum finding_kind k);
const char *finding_severity_name(enum finding_severity s);
/* The finding's title and the fix, in plain words. */
const char *finding_title(enum finding_kind k);
const char *finding_fix(enum finding_kind k);

#endif
