/* SPDX-License-Identifier: MIT */
/*
 * risk: a score from 0 to 100 per device, and the attack paths that lead
 * to life-critical devices, from what the store holds: the devices and
 * their criticality, their findings, their alerts, and the links between
 * them (who opened flows to whom, on which service, answered).
 *
 * Score = round(100 x likelihood x impact).
 *
 * Impact, by clinical criticality: life-sustaining 1.0, high 0.8, medium
 * 0.5, low 0.3.
 *
 * Likelihood = 1 - prod(1 - p) over the device's factors, each the chance
 * (a weight, not a measurement) that it alone lets an attacker in:
 *
 *   default credentials accepted                 0.60
 *   internet exposure (answers the internet)     0.50
 *   alerts (its behaviour departed)              0.40
 *   a known vulnerability: CVSS/10, x 1.0 when known exploited (CISA KEV)
 *     else x 0.6, x 1.0 for a high-confidence match else x 0.5; the worst
 *     one counts, the others are named with it
 *   logins in clear                              0.25
 *   MQTT broker without credentials              0.20
 *   legacy clear-text service                    0.15
 *   software past its end of support             0.15
 *   contact with the internet                    0.15
 *   patient data or DICOM sent in clear          0.10
 *   broken cipher suite, obsolete TLS            0.10
 *   expired or self-signed certificate           0.05
 *
 * Attack paths: entry points are devices exposed to the internet, devices
 * that accept default credentials or whose logins cross the network in
 * clear, and devices with alerts; targets are devices of life-sustaining
 * or high criticality. The shortest path (fewest hops) from each entry to
 * each other target over the observed links is kept (an entry that is a
 * target itself is no path: its own score says so); paths are ranked by
 * the target's impact times the entry's strongest factor, divided by
 * 1 + hops.
 */
#ifndef WW_ASSESS_RISK_H
#define WW_ASSESS_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assess/assess.h"
#include "inventory/rules.h"

#define RISK_TEXT_MAX 240
#define RISK_FACTORS_MAX 16
#define RISK_HOPS_MAX 8

struct risk_device {
    long long id; /* the store's */
    char name[64];
    char ip[48];
    char class_name[48];
    enum criticality criticality;
};

struct risk_finding {
    size_t device; /* index in risk_input.devices */
    enum finding_kind kind;
    char detail[FINDING_DETAIL_MAX];
    double cvss;
    bool exploited;
    int confidence; /* enum vuln_confidence, 0 for other kinds */
};

struct risk_alert {
    size_t device;
    uint64_t alerts, departures;
    char reason[RISK_TEXT_MAX];
};

struct risk_link {
    size_t client, server;
    char service[16]; /* "tcp/23" */
};

struct risk_input {
    struct risk_device *devices;
    size_t n_devices;
    struct risk_finding *findings;
    size_t n_findings;
    struct risk_alert *alerts;
    size_t n_alerts;
    struct risk_link *links;
    size_t n_links;
};

struct risk_factor {
    const char *name; /* "default_credentials", "vulnerability", "alerts"... */
    double p;
    char text[RISK_TEXT_MAX];
};

struct risk_score {
    size_t device;
    int score;
    double likelihood, impact;
    struct risk_factor factors[RISK_FACTORS_MAX]; /* strongest first */
    int n_factors;
};

struct risk_hop {
    size_t device;
    char service[16]; /* the service the previous hop reached it on; "" for the entry */
    char why[RISK_TEXT_MAX];
};

struct risk_path {
    double rank;
    int n_hops; /* devices on the path, entry and target included */
    struct risk_hop hops[RISK_HOPS_MAX];
};

/*
 * Scores every device (scores[i] for devices[i]) and writes the best
 * paths, at most max_paths, best first. Returns the number of paths, or
 * -1 out of memory.
 */
int risk_compute(const struct risk_input *in, struct risk_score *scores,
                 struct risk_path *paths, size_t max_paths);

/* The devices' indexes by score, highest first (ties by criticality, then store id). */
void risk_rank(const struct risk_input *in, const struct risk_score *scores, size_t *order);

#endif
