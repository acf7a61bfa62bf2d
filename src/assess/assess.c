/* SPDX-License-Identifier: MIT */
/* assess: findings from the parsers' evidence and the flows (assess.h). */
#include "assess/assess.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/events.h"
#include "output/json.h"
#include "util/grow.h"
#include "util/mix64.h"
#include "util/u64map.h"

#define US_PER_S 1000000ull
#define ASSESS_PENDING 64      /* logins whose secret was seen and outcome not yet */
#define ASSESS_MATCHES 4       /* catalog entries one secret may match */
#define ADDR_TEXT_MAX 48

/* A login's secret matched catalog entries; its outcome comes as evidence later. */
struct pending_login {
    const struct ww_flow *flow;
    const struct cred_entry *match[ASSESS_MATCHES];
    int n;
};

/* A device's talk with internet addresses, judged at the end by its final class. */
struct outside_contact {
    uint64_t first_us, last_us, flows;
    uint8_t family, addr[16]; /* the first internet address */
    char service[16];
};

struct assess {
    struct assess_config cfg;
    struct finding *list;
    size_t n, cap;
    struct u64map at; /* key of (device, kind, detail): index in list */
    struct pending_login pending[ASSESS_PENDING];
    unsigned next_pending;
    struct outside_contact *contact; /* by device id */
    size_t n_contact;
    struct assess_link *links;
    size_t n_links, cap_links;
    struct u64map link_at; /* (client, server, transport, port): index in links */
    uint64_t links_dropped;
};

static const struct {
    const char *name, *title, *fix;
    enum finding_severity severity;
} kinds[FIND_KIND_MAX] = {
    [FIND_CLEARTEXT_LOGIN] = {"cleartext_login", "Login sent in clear",
                              "Turn the clear-text login off and use its encrypted form (SSH "
                              "instead of telnet, SFTP or FTPS instead of FTP, HTTPS, MQTT over "
                              "TLS); where the device cannot, reach it only from a management "
                              "network.",
                              FIND_MEDIUM},
    [FIND_DEFAULT_CREDENTIALS] = {"default_credentials", "Login with a published default password",
                                  "Change the password now (it is printed in the vendor's "
                                  "manual), then check the device's logs for logins you did "
                                  "not make.",
                                  FIND_HIGH},
    [FIND_MQTT_ANONYMOUS] = {"mqtt_anonymous", "MQTT broker lets clients in without credentials",
                             "Set allow_anonymous false (or the broker's equivalent), give every "
                             "client its own account or certificate, and limit topics by ACL.",
                             FIND_MEDIUM},
    [FIND_PHI_HL7_CLEAR] = {"patient_data_in_clear", "HL7 with patient identity sent in clear",
                            "Carry HL7 over TLS (MLLP over TLS, or a VPN between the two ends); "
                            "until then keep the link on a segment no one else reaches.",
                            FIND_HIGH},
    [FIND_DICOM_STORE_CLEAR] = {"dicom_unencrypted", "DICOM images sent without TLS",
                                "Turn on DICOM TLS (the secure transport connection profile) "
                                "between modality and archive, or tunnel the association; "
                                "until then keep it on the imaging segment.",
                                FIND_HIGH},
    [FIND_OBSOLETE_TLS] = {"obsolete_tls", "Server chose an obsolete SSL/TLS version",
                           "Allow TLS 1.2 or 1.3 only; update the firmware or the TLS library "
                           "if the server cannot.",
                           FIND_MEDIUM},
    [FIND_WEAK_CIPHER] = {"weak_cipher", "Server chose a broken cipher suite",
                          "Remove NULL, export, anonymous, RC4 and DES suites from the server's "
                          "configuration.",
                          FIND_HIGH},
    [FIND_EXPIRED_CERT] = {"expired_certificate", "Server certificate has expired",
                           "Renew the certificate; clients that accept an expired one accept "
                           "an impostor's too.",
                           FIND_MEDIUM},
    [FIND_SELF_SIGNED_CERT] = {"self_signed_certificate", "Server certificate is self-signed",
                               "Issue the certificate from the hospital's own CA so that "
                               "clients can check it.",
                               FIND_LOW},
    [FIND_LEGACY_SERVICE] = {"legacy_service", "Legacy service offered",
                             "Turn the service off if nothing needs it; otherwise allow it only "
                             "from the hosts that do, and plan its replacement.",
                             FIND_MEDIUM},
    [FIND_INTERNET_EXPOSED] = {"internet_exposed", "Service answered an internet address",
                               "Close the service to the internet at the firewall; give remote "
                               "support a VPN with its own accounts instead.",
                               FIND_HIGH},
    [FIND_VULNERABILITY] = {"vulnerability", "Known vulnerability",
                            "Apply the vendor's fix or the advisory's mitigations; until then "
                            "keep the device on its own segment, reachable only by the hosts "
                            "it serves, and watch it.",
                            FIND_HIGH},
    [FIND_OUTDATED_SOFTWARE] = {"outdated_software", "Software past its end of support",
                                "Update to a supported release, or ask the vendor for one; "
                                "until then nothing fixes the flaws found in it, so keep the "
                                "device on its own segment.",
                                FIND_MEDIUM},
    [FIND_INTERNET_CONTACT] = {"internet_contact",
                               "Medical or clinical device talked with the internet",
                               "Check with the vendor what the device sends out and why; allow "
                               "only the destinations it needs, through a proxy if it can.",
                               FIND_MEDIUM},
};

const char *finding_kind_name(enum finding_kind k)
{
    return k < FIND_KIND_MAX ? kinds[k].name : "unknown";
}

const char *finding_title(enum finding_kind k)
{
    return k < FIND_KIND_MAX ? kinds[k].title : "";
}

const char *finding_fix(enum finding_kind k)
{
    return k < FIND_KIND_MAX ? kinds[k].fix : "";
}

const char *finding_severity_name(enum finding_severity s)
{
    return s == FIND_HIGH ? "high" : s == FIND_MEDIUM ? "medium" : "low";
}

struct assess *assess_new(const struct assess_config *cfg)
{
    struct assess *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        return NULL;
    }
    a->cfg = *cfg;
    return a;
}

void assess_free(struct assess *a)
{
    if (a == NULL) {
        return;
    }
    u64map_free(&a->at);
    u64map_free(&a->link_at);
    free(a->links);
    free(a->list);
    free(a->contact);
    free(a);
}

size_t assess_count(const struct assess *a)
{
    return a->n;
}

size_t assess_link_count(const struct assess *a)
{
    return a->n_links;
}

const struct assess_link *assess_link(const struct assess *a, size_t i)
{
    return i < a->n_links ? &a->links[i] : NULL;
}

uint64_t assess_links_dropped(const struct assess *a)
{
    return a->links_dropped;
}

const struct finding *assess_finding(const struct assess *a, size_t i)
{
    return i < a->n ? &a->list[i] : NULL;
}

/* ---- findings ------------------------------------------------------------ */

/* What a new finding says, with the flow that showed it (or NULL). */
struct raise {
    enum finding_kind kind;
    uint32_t device, peer;
    const char *detail;
    const char *evidence;
    uint64_t ts_us;
    const struct ww_flow *flow;
    enum finding_severity severity; /* 0: the kind's */
};

static uint64_t finding_key(enum finding_kind kind, uint32_t device, const char *detail)
{
    uint64_t h = mix64(((uint64_t)device << 8) | (uint64_t)kind);

    for (const char *p = detail; *p != '\0'; p++) {
        h = mix64(h ^ (uint8_t)*p);
    }
    return h != 0 ? h : 1;
}

enum finding_severity finding_severity_on(enum finding_severity s, enum criticality c)
{
    return (c == CRIT_LIFE_SUSTAINING || c == CRIT_HIGH) && s > FIND_HIGH
               ? (enum finding_severity)(s - 1)
               : s;
}

/* The raise's severity (or its kind's) on its device. */
static enum finding_severity severity_for(const struct assess *a, const struct raise *r)
{
    const struct inv_device *d = inventory_device_by_id(a->cfg.inv, r->device);

    return finding_severity_on(r->severity != 0 ? r->severity : kinds[r->kind].severity,
                               d != NULL ? inventory_criticality(a->cfg.inv, d) : CRIT_LOW);
}

static void write_event(const struct assess *a, const struct finding *f,
                        const struct ww_flow *flow)
{
    struct jbuf *jb;

    if (a->cfg.eve == NULL) {
        return;
    }
    jb = eve_begin(a->cfg.eve, f->first_us, "finding");
    if (flow != NULL) {
        events_flow_fields(jb, flow);
    }
    jb_object_open(jb, "finding");
    jb_str(jb, "kind", finding_kind_name(f->kind));
    jb_str(jb, "severity", finding_severity_name(f->severity));
    jb_str(jb, "title", finding_title(f->kind));
    jb_str(jb, "evidence", f->evidence);
    jb_str(jb, "fix", finding_fix(f->kind));
    if (f->detail[0] != '\0') {
        jb_str(jb, "detail", f->detail);
    }
    inventory_write_device(jb, a->cfg.inv, "device", f->device);
    inventory_write_device(jb, a->cfg.inv, "peer", f->peer);
    jb_object_close(jb);
    eve_commit(a->cfg.eve);
}

/* Counts a finding known already; false when it is new (nothing counted). */
static bool count_again(struct assess *a, enum finding_kind kind, uint32_t device,
                        const char *detail, uint64_t ts_us)
{
    uint32_t i;

    if (!u64map_get(&a->at, finding_key(kind, device, detail), &i)) {
        return false;
    }
    a->list[i].count++;
    a->list[i].last_us = ts_us > a->list[i].last_us ? ts_us : a->list[i].last_us;
    return true;
}

/* Counts a finding seen again, or adds it and writes its event. Returns it, or NULL. */
static struct finding *raise_finding(struct assess *a, const struct raise *r)
{
    uint64_t key = finding_key(r->kind, r->device, r->detail);
    struct finding *all, *f;
    uint32_t i;

    if (r->device == 0) {
        return NULL; /* only the site's own devices have findings */
    }
    if (count_again(a, r->kind, r->device, r->detail, r->ts_us)) {
        (void)u64map_get(&a->at, key, &i);
        return &a->list[i];
    }
    all = grow_to_index(a->list, &a->cap, sizeof(*a->list), a->n);
    if (all == NULL) {
        return NULL;
    }
    a->list = all;
    if (u64map_put(&a->at, key, (uint32_t)a->n) < 0) {
        return NULL;
    }
    f = &a->list[a->n++];
    *f = (struct finding){.kind = r->kind, .device = r->device, .peer = r->peer,
                          .severity = severity_for(a, r),
                          .first_us = r->ts_us, .last_us = r->ts_us, .count = 1};
    snprintf(f->detail, sizeof(f->detail), "%s", r->detail);
    snprintf(f->evidence, sizeof(f->evidence), "%s", r->evidence);
    write_event(a, f, r->flow);
    return f;
}

/* ---- words --------------------------------------------------------------- */

/* snprintf for text that may be cut at len: evidence in words, details. */
__attribute__((format(printf, 3, 4))) static void say(char *out, size_t len, const char *fmt,
                                                      ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

static void addr_text(uint8_t family, const uint8_t *addr, char *out, size_t len)
{
    if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, out, (socklen_t)len) == NULL) {
        say(out, len, "?");
    }
}

/*
 * "name (address)" of a flow's side, or the address alone, for evidence in
 * words; the class is left to the event's device objects, since it may
 * still change when the finding is raised.
 */
static void side_text(const struct assess *a, const struct ww_flow *f, int side, uint32_t id,
                      char *out, size_t len)
{
    const struct inv_device *d = inventory_device_by_id(a->cfg.inv, id);
    const char *name = d != NULL ? inventory_device_name(d) : NULL;
    char ip[ADDR_TEXT_MAX];

    addr_text(f->key.family, flow_side_addr(f, side), ip, sizeof(ip));
    if (name != NULL) {
        say(out, len, "%s (%s)", name, ip);
    } else {
        say(out, len, "%s", ip);
    }
}

/* Whether a flow's side has an internet address: unicast and not the site's own. */
static bool side_outside(const struct ww_flow *f, int side)
{
    const uint8_t *addr = flow_side_addr(f, side);

    return inventory_addr_unicast(f->key.family, addr) &&
           !inventory_addr_local(f->key.family, addr);
}

/* Whether a flow's side is one of the site's own addresses, whose findings are the site's. */
static bool on_site(const struct ww_flow *f, int side)
{
    return inventory_addr_local(f->key.family, flow_side_addr(f, side));
}

static void service_of(const struct ww_flow *f, char *out, size_t len)
{
    say(out, len, "%s/%u", f->key.proto == 6 ? "tcp" : f->key.proto == 17 ? "udp" : "ip",
             (unsigned)flow_side_port(f, 1));
}

/* ---- logins -------------------------------------------------------------- */

void assess_credential(void *arg, const struct proto_credential *c)
{
    struct assess *a = arg;
    struct pending_login *p = NULL;
    size_t from = 0;

    if (a->cfg.credentials == NULL) {
        return;
    }
    for (unsigned i = 0; i < ASSESS_PENDING && p == NULL; i++) {
        if (a->pending[i].flow == c->flow) {
            p = &a->pending[i];
        }
    }
    if (p == NULL) {
        p = &a->pending[a->next_pending++ % ASSESS_PENDING];
    }
    *p = (struct pending_login){.flow = c->flow};
    while (p->n < ASSESS_MATCHES) {
        const struct cred_entry *e = cred_match(a->cfg.credentials, c->service, c->user,
                                                c->user_len, c->secret, c->secret_len, &from);

        if (e == NULL) {
            break;
        }
        p->match[p->n++] = e;
    }
}

/* The pending login of a flow (its matches taken), or NULL. */
static struct pending_login *take_pending(struct assess *a, const struct ww_flow *f)
{
    for (unsigned i = 0; i < ASSESS_PENDING; i++) {
        if (a->pending[i].flow == f) {
            a->pending[i].flow = NULL;
            return &a->pending[i];
        }
    }
    return NULL;
}

/* A successful login with a secret on the catalog: the entry of the device's maker first. */
static void default_login(struct assess *a, const struct proto_evidence *ev, uint32_t ids[2],
                          const struct pending_login *p, const char *service)
{
    const struct inv_device *d = inventory_device_by_id(a->cfg.inv, ids[ev->side]);
    const struct cred_entry *e = p->match[0];
    bool maker = false;
    char client[160], text[FINDING_TEXT_MAX], detail[FINDING_DETAIL_MAX];

    for (int i = 0; i < p->n && d != NULL && !maker; i++) {
        if (cred_vendor_matches(p->match[i], d->vendor)) {
            e = p->match[i];
            maker = true;
        }
    }
    side_text(a, ev->flow, !ev->side, ids[!ev->side], client, sizeof(client));
    say(text, sizeof(text),
             "%s login from %s succeeded as \"%s\" with the default password of %s %s "
             "(%s; catalog line %u)%s",
             service, client, e->user, e->vendor, e->product, e->source, e->line,
             maker ? "" : "; the device's maker is not that vendor, the password is on the "
                          "published list all the same");
    say(detail, sizeof(detail), "%s:%s", service, e->user);
    raise_finding(a, &(struct raise){FIND_DEFAULT_CREDENTIALS, ids[ev->side], ids[!ev->side],
                                     detail, text, ev->ts_us, ev->flow, 0});
}

static void on_login(struct assess *a, const struct proto_evidence *ev, uint32_t ids[2],
                     const char *service, const char *outcome)
{
    struct pending_login *p = take_pending(a, ev->flow);
    char client[160], server[160], text[FINDING_TEXT_MAX];

    side_text(a, ev->flow, !ev->side, ids[!ev->side], client, sizeof(client));
    side_text(a, ev->flow, ev->side, ids[ev->side], server, sizeof(server));
    if (!on_site(ev->flow, ev->side)) { /* a server elsewhere: the client's login went out */
        if (!on_site(ev->flow, !ev->side)) {
            return;
        }
        say(text, sizeof(text), "sent its %s login in clear to the internet address %s, "
            "outcome %s", service, server, outcome);
        raise_finding(a, &(struct raise){FIND_CLEARTEXT_LOGIN, ids[!ev->side], 0, service,
                                         text, ev->ts_us, ev->flow, 0});
        return;
    }
    say(text, sizeof(text), "%s login from %s in clear, outcome %s", service, client, outcome);
    raise_finding(a, &(struct raise){FIND_CLEARTEXT_LOGIN, ids[ev->side], ids[!ev->side],
                                     service, text, ev->ts_us, ev->flow, 0});
    if (p != NULL && p->n > 0 && strcmp(outcome, "success") == 0) {
        default_login(a, ev, ids, p, service);
    }
}

/* ---- transport security -------------------------------------------------- */

/* Suites no server should choose, by their IANA code: what breaks them. */
static const char *weak_suite(unsigned code)
{
    static const struct {
        uint16_t lo, hi;
        const char *why;
    } weak[] = {
        {0x0000, 0x0002, "NULL encryption"}, {0x0003, 0x0003, "export RC4"},
        {0x0004, 0x0005, "RC4"},             {0x0006, 0x0006, "export RC2"},
        {0x0008, 0x0008, "export DES"},      {0x0009, 0x0009, "single DES"},
        {0x000b, 0x000b, "export DES"},      {0x000c, 0x000c, "single DES"},
        {0x000e, 0x000e, "export DES"},      {0x000f, 0x000f, "single DES"},
        {0x0011, 0x0011, "export DES"},      {0x0012, 0x0012, "single DES"},
        {0x0014, 0x0014, "export DES"},      {0x0015, 0x0015, "single DES"},
        {0x0017, 0x001b, "anonymous"},       {0x001e, 0x001e, "single DES"},
        {0x0020, 0x0020, "RC4"},             {0x0022, 0x0022, "single DES"},
        {0x0024, 0x0024, "RC4"},             {0x0026, 0x002b, "export"},
        {0x002c, 0x002e, "NULL encryption"}, {0x0034, 0x0034, "anonymous"},
        {0x003a, 0x003b, "anonymous or NULL"}, {0x0062, 0x0064, "export"},
        {0x0066, 0x0066, "RC4"},             {0x006c, 0x006d, "anonymous"},
        {0x008a, 0x008a, "RC4"},             {0x008e, 0x008e, "RC4"},
        {0x0092, 0x0092, "RC4"},             {0xc001, 0xc002, "NULL or RC4"},
        {0xc006, 0xc007, "NULL or RC4"},     {0xc00b, 0xc00c, "NULL or RC4"},
        {0xc010, 0xc011, "NULL or RC4"},     {0xc015, 0xc019, "anonymous"},
        {0xc033, 0xc033, "RC4"},
    };

    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
        if (code >= weak[i].lo && code <= weak[i].hi) {
            return weak[i].why;
        }
    }
    return NULL;
}

static bool obsolete_version(const char *v)
{
    return strcmp(v, "SSLv2") == 0 || strcmp(v, "SSLv3") == 0 || strcmp(v, "TLSv1") == 0 ||
           strcmp(v, "TLS 1.1") == 0;
}

/* "YYYY-MM-DDTHH:MM:SS" (UTC) as microseconds since the epoch; 0 when unreadable. */
static uint64_t cert_time_us(const char *s)
{
    struct tm tm = {0};
    time_t t;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6) {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    return t > 0 ? (uint64_t)t * US_PER_S : 0;
}

static void on_tls(struct assess *a, const struct proto_evidence *ev, uint32_t ids[2],
                   const char *kind, const char *value)
{
    char client[160], text[FINDING_TEXT_MAX], detail[FINDING_DETAIL_MAX];
    struct raise r = {.device = ids[1], .peer = ids[0], .detail = detail, .evidence = text,
                      .ts_us = ev->ts_us, .flow = ev->flow};
    const char *why = NULL;

    if (ev->side != 1) {
        return; /* the server's choices and certificate only */
    }
    say(detail, sizeof(detail), "%s", value);
    if (strcmp(kind, "tls.version") == 0 && obsolete_version(value)) {
        r.kind = FIND_OBSOLETE_TLS;
    } else if (strcmp(kind, "tls.cipher") == 0 &&
               (why = weak_suite((unsigned)strtoul(value, NULL, 16))) != NULL) {
        r.kind = FIND_WEAK_CIPHER;
    } else if (strcmp(kind, "tls.cert_not_after") == 0 && cert_time_us(value) != 0 &&
               cert_time_us(value) < ev->ts_us) {
        r.kind = FIND_EXPIRED_CERT;
    } else if (strcmp(kind, "tls.cert_self_signed") == 0) {
        r.kind = FIND_SELF_SIGNED_CERT;
        detail[0] = '\0';
    } else {
        return;
    }
    if (count_again(a, r.kind, r.device, detail, ev->ts_us)) {
        return;
    }
    side_text(a, ev->flow, 0, ids[0], client, sizeof(client));
    switch (r.kind) {
    case FIND_OBSOLETE_TLS:
        say(text, sizeof(text), "chose %s for %s", value, client);
        break;
    case FIND_WEAK_CIPHER:
        say(text, sizeof(text), "chose cipher suite %s (%s) for %s", value, why, client);
        break;
    case FIND_EXPIRED_CERT:
        say(text, sizeof(text), "sent %s a certificate valid until %s UTC", client, value);
        break;
    default:
        say(text, sizeof(text), "sent %s a certificate whose issuer is its subject", client);
        break;
    }
    raise_finding(a, &r);
}

/* ---- patient data -------------------------------------------------------- */

static void on_patient_data(struct assess *a, const struct proto_evidence *ev, uint32_t ids[2],
                            enum finding_kind kind, const char *value)
{
    char to[160], text[FINDING_TEXT_MAX], detail[FINDING_DETAIL_MAX], service[24];
    char ip[ADDR_TEXT_MAX];

    addr_text(ev->flow->key.family, flow_side_addr(ev->flow, !ev->side), ip, sizeof(ip));
    say(detail, sizeof(detail), "to:%s", ip);
    if (count_again(a, kind, ids[ev->side], detail, ev->ts_us)) {
        return;
    }
    side_text(a, ev->flow, !ev->side, ids[!ev->side], to, sizeof(to));
    service_of(ev->flow, service, sizeof(service));
    if (kind == FIND_PHI_HL7_CLEAR) {
        say(text, sizeof(text),
                 "sent HL7 messages with a PID segment (patient identity) to %s over plain %s",
                 to, service);
    } else {
        say(text, sizeof(text), "sent %s to %s with C-STORE over a plain association on %s",
                 value, to, service);
    }
    raise_finding(a, &(struct raise){kind, ids[ev->side], ids[!ev->side], detail, text,
                                     ev->ts_us, ev->flow, 0});
}

/* ---- SMB ----------------------------------------------------------------- */

/* A server that answered in an SMB1 dialect: the protocol of EternalBlue and WannaCry. */
static void on_smb(struct assess *a, const struct proto_evidence *ev, uint32_t ids[2],
                   const char *dialect)
{
    char client[160], text[FINDING_TEXT_MAX];

    if (ev->side != 1 || strncmp(dialect, "SMB1 ", 5) != 0 || strcmp(dialect, "SMB1 none") == 0) {
        return;
    }
    side_text(a, ev->flow, 0, ids[0], client, sizeof(client));
    say(text, sizeof(text), "answered %s with the SMBv1 dialect %s", client, dialect + 5);
    raise_finding(a, &(struct raise){FIND_LEGACY_SERVICE, ids[1], ids[0], "smbv1", text,
                                     ev->ts_us, ev->flow, 0});
}

/* ---- evidence ------------------------------------------------------------ */

static bool assessed_kind(const char *kind)
{
    return strncmp(kind, "login.", 6) == 0 || strcmp(kind, "tls.version") == 0 ||
           strcmp(kind, "tls.cipher") == 0 || strcmp(kind, "tls.cert_not_after") == 0 ||
           strcmp(kind, "tls.cert_self_signed") == 0 ||
           strcmp(kind, "hl7.pid") == 0 || strcmp(kind, "dicom.c_store") == 0 ||
           strcmp(kind, "mqtt.anonymous") == 0 || strcmp(kind, "smb.dialect") == 0;
}

void assess_evidence(struct assess *a, const struct proto_evidence *ev)
{
    char kind[64], value[INV_VALUE_MAX + 1];
    uint32_t ids[2];
    size_t n = ev->value_len < INV_VALUE_MAX ? ev->value_len : INV_VALUE_MAX;

    if (ev->flow == NULL || !assessed_kind(ev->kind)) {
        return;
    }
    snprintf(kind, sizeof(kind), "%s", ev->kind);
    memcpy(value, ev->value, n);
    value[n] = '\0';
    inventory_flow_ids(a->cfg.inv, ev->flow, ev->ts_us, ids);
    if (ids[ev->side] == 0 && ids[!ev->side] == 0) {
        return;
    }
    if (strncmp(kind, "login.", 6) == 0) {
        on_login(a, ev, ids, strcmp(kind + 6, "http_basic") == 0 ? "http" : kind + 6, value);
    } else if (ids[ev->side] == 0 || !on_site(ev->flow, ev->side)) {
        return; /* the rest are about the side's own device, when it is the site's */
    } else if (strncmp(kind, "tls.", 4) == 0) {
        on_tls(a, ev, ids, kind, value);
    } else if (strcmp(kind, "hl7.pid") == 0) {
        on_patient_data(a, ev, ids, FIND_PHI_HL7_CLEAR, value);
    } else if (strcmp(kind, "dicom.c_store") == 0) {
        on_patient_data(a, ev, ids, FIND_DICOM_STORE_CLEAR, value);
    } else if (strcmp(kind, "smb.dialect") == 0) {
        on_smb(a, ev, ids, value);
    } else {
        raise_finding(a, &(struct raise){FIND_MQTT_ANONYMOUS, ids[ev->side], 0, "",
                                         "accepted an MQTT CONNECT that had no user name or "
                                         "password",
                                         ev->ts_us, ev->flow, 0});
    }
}

/* ---- flows --------------------------------------------------------------- */

/* Services of old that send everything, logins included, in clear. */
static const char *legacy_service(const struct ww_flow *f)
{
    uint16_t port = flow_side_port(f, 1);

    if (f->key.proto != 6) {
        return NULL;
    }
    switch (port) {
    case 21:
        return "FTP";
    case 23:
        return "telnet";
    case 512:
        return "rexec";
    case 513:
        return "rlogin";
    case 514:
        return "rsh";
    default:
        return NULL;
    }
}

static void note_contact(struct assess *a, const struct ww_flow *f, uint32_t id, uint64_t ts_us)
{
    struct outside_contact *all = grow_to_index(a->contact, &a->n_contact, sizeof(*all), id), *c;

    if (all == NULL) {
        return;
    }
    a->contact = all;
    c = &all[id];
    if (c->flows++ == 0) {
        c->first_us = ts_us;
        c->family = f->key.family;
        memcpy(c->addr, flow_side_addr(f, 1), f->key.family == 6 ? 16 : 4);
        service_of(f, c->service, sizeof(c->service));
    }
    c->last_us = ts_us;
}

/* A flow between two of the site's devices that the server answered: a link. */
static void note_link(struct assess *a, const struct ww_flow *f, const uint32_t ids[2],
                      uint64_t ts_us)
{
    uint16_t port = flow_side_port(f, 1);
    uint64_t key = mix64(mix64(((uint64_t)ids[0] << 32) | ids[1]) ^
                         ((uint64_t)f->key.proto << 16 | port));
    struct assess_link *all;
    uint32_t i;

    key = key != 0 ? key : 1;
    if (u64map_get(&a->link_at, key, &i)) {
        a->links[i].flows++;
        a->links[i].last_us = ts_us > a->links[i].last_us ? ts_us : a->links[i].last_us;
        return;
    }
    if (a->n_links == ASSESS_LINKS_MAX) {
        a->links_dropped++;
        return;
    }
    all = grow_to_index(a->links, &a->cap_links, sizeof(*all), a->n_links);
    if (all == NULL) {
        a->links_dropped++;
        return;
    }
    a->links = all;
    if (u64map_put(&a->link_at, key, (uint32_t)a->n_links) < 0) {
        a->links_dropped++;
        return;
    }
    a->links[a->n_links++] = (struct assess_link){ids[0], ids[1], f->key.proto, port, 1, ts_us,
                                                  ts_us};
}

/* A service of the site's own that answered: legacy, or open to the internet. */
static void service_reply(struct assess *a, const struct ww_flow *f, uint32_t server,
                          bool from_outside, uint64_t ts_us)
{
    const char *legacy = on_site(f, 1) ? legacy_service(f) : NULL;
    char service[24], text[FINDING_TEXT_MAX], client[ADDR_TEXT_MAX];

    if (legacy == NULL && !from_outside) {
        return; /* the common case: nothing to say, nothing formatted */
    }
    service_of(f, service, sizeof(service));
    if (legacy != NULL && !count_again(a, FIND_LEGACY_SERVICE, server, service, ts_us)) {
        say(text, sizeof(text), "answered %s on %s", legacy, service);
        raise_finding(a, &(struct raise){FIND_LEGACY_SERVICE, server, 0, service, text, ts_us, f,
                                         0});
    }
    if (from_outside && !count_again(a, FIND_INTERNET_EXPOSED, server, service, ts_us)) {
        addr_text(f->key.family, flow_side_addr(f, 0), client, sizeof(client));
        say(text, sizeof(text), "answered %s from the internet address %s", service, client);
        raise_finding(a, &(struct raise){FIND_INTERNET_EXPOSED, server, 0, service, text, ts_us,
                                         f, 0});
    }
}

void assess_flow_reply(struct assess *a, const struct ww_flow *f, const uint32_t ids[2],
                       uint64_t ts_us)
{
    if (ids[1] != 0) {
        service_reply(a, f, ids[1], ids[0] == 0 && side_outside(f, 0), ts_us);
    }
    if (ids[0] != 0 && ids[1] == 0 && side_outside(f, 1)) {
        note_contact(a, f, ids[0], ts_us);
    }
    if (ids[0] != 0 && ids[1] != 0 && ids[0] != ids[1] && on_site(f, 0) && on_site(f, 1)) {
        note_link(a, f, ids, ts_us);
    }
}

void assess_flow_end(struct assess *a, const struct ww_flow *f)
{
    (void)take_pending(a, f);
}

/* ---- vulnerabilities ----------------------------------------------------- */

#define ASSESS_SUBJECT_MAX (INV_EVIDENCE_MAX + 2)
#define ASSESS_VULN_MATCHES 64

static void raise_vulnerability(struct assess *a, const struct inv_device *d,
                                const struct vuln_subject *s, const struct vuln_match *m)
{
    char text[FINDING_TEXT_MAX];
    struct finding *f;

    vuln_describe(m, s, text, sizeof(text));
    f = raise_finding(a, &(struct raise){FIND_VULNERABILITY, d->id, 0, m->v->cve, text,
                                         d->last_us, NULL,
                                         (enum finding_severity)vuln_severity(m->v)});
    if (f != NULL) {
        f->cvss = m->v->cvss;
        f->exploited = m->v->kev;
        f->confidence = m->confidence;
    }
}

static void raise_outdated(struct assess *a, const struct inv_device *d,
                           const struct vuln_subject *s, const struct lifecycle_match *m)
{
    char text[FINDING_TEXT_MAX];

    say(text, sizeof(text), "runs %s (version %s, on %s \"%.120s\"), out of support since %s: %s",
        m->e->software, m->version[0] != '\0' ? m->version : "any", s->kinds[m->evidence],
        s->values[m->evidence], m->e->ended, m->e->source);
    raise_finding(a, &(struct raise){FIND_OUTDATED_SOFTWARE, d->id, 0, m->e->software, text,
                                     d->last_us, NULL, 0});
}

/* Every device against the catalogs, by what the inventory knows of it now. */
static void match_catalogs(struct assess *a)
{
    static const char *what[ASSESS_SUBJECT_MAX], *values[ASSESS_SUBJECT_MAX];
    static struct vuln_match found[ASSESS_VULN_MATCHES];
    static struct lifecycle_match outdated[ASSESS_VULN_MATCHES];

    for (size_t i = 0; i < inventory_count(a->cfg.inv); i++) {
        const struct inv_device *d = inventory_device(a->cfg.inv, i);
        struct vuln_subject s = {d->vendor, what, values, 0};
        size_t n;

        what[s.n] = "model", values[s.n++] = d->model;
        what[s.n] = "software", values[s.n++] = d->software;
        for (uint32_t e = 0; e < d->n_evidence && s.n < ASSESS_SUBJECT_MAX; e++) {
            what[s.n] = d->evidence[e].kind, values[s.n++] = d->evidence[e].value;
        }
        n = a->cfg.vulns != NULL ? vuln_match(a->cfg.vulns, &s, found, ASSESS_VULN_MATCHES) : 0;
        for (size_t k = 0; k < n; k++) {
            raise_vulnerability(a, d, &s, &found[k]);
        }
        n = a->cfg.lifecycle != NULL
                ? lifecycle_match(a->cfg.lifecycle, &s, outdated, ASSESS_VULN_MATCHES)
                : 0;
        for (size_t k = 0; k < n; k++) {
            raise_outdated(a, d, &s, &outdated[k]);
        }
    }
}

void assess_finish(struct assess *a)
{
    match_catalogs(a);
    for (size_t id = 1; id < a->n_contact; id++) {
        const struct outside_contact *c = &a->contact[id];
        const struct inv_device *d = inventory_device_by_id(a->cfg.inv, (uint32_t)id);
        const struct rules_class *cls;
        struct finding *f;
        char first[ADDR_TEXT_MAX], text[FINDING_TEXT_MAX];

        if (c->flows == 0 || d == NULL || d->class_idx < 0) {
            continue;
        }
        cls = &inventory_rules(a->cfg.inv)->classes[d->class_idx];
        if (strcmp(cls->category, "medical") != 0 && strcmp(cls->category, "clinical-it") != 0) {
            continue;
        }
        addr_text(c->family, c->addr, first, sizeof(first));
        say(text, sizeof(text),
                 "opened %llu flow%s to internet addresses, the first to %s on %s",
                 (unsigned long long)c->flows, c->flows == 1 ? "" : "s", first, c->service);
        f = raise_finding(a, &(struct raise){FIND_INTERNET_CONTACT, (uint32_t)id, 0, "", text,
                                             c->first_us, NULL, 0});
        if (f != NULL) {
            f->last_us = c->last_us;
            f->count = c->flows;
        }
    }
}
