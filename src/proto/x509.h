/* SPDX-License-Identifier: MIT */
/* x509: the fields of an X.509 v3 certificate (RFC 5280) that TLS events report. */
#ifndef WW_PROTO_X509_H
#define WW_PROTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X509_DN_MAX 1024        /* bytes of a distinguished name as text; longer is cut */
#define X509_SERIAL_BYTES_MAX 32 /* serial number bytes shown (RFC 5280 allows 20) */
#define X509_SERIAL_TEXT_MAX (3 * X509_SERIAL_BYTES_MAX)
#define X509_TIME_TEXT_LEN 19    /* "YYYY-MM-DDTHH:MM:SS" */
#define X509_FP_TEXT_LEN 59      /* SHA-1 as 20 colon-separated hex pairs */
#define X509_SAN_MAX 32          /* DNS names kept from subjectAltName */
#define X509_SAN_BUF 2048        /* bytes for all of them */

/*
 * The reported fields, as text owned by the struct. subject and issuer are
 * bytes from the certificate, possibly not UTF-8: write them with jb_strn.
 */
struct x509_cert {
    char subject[X509_DN_MAX];
    size_t subject_len;
    char issuer[X509_DN_MAX];
    size_t issuer_len;
    char serial[X509_SERIAL_TEXT_MAX + 1];      /* "03:DE:..." upper case */
    char not_before[X509_TIME_TEXT_LEN + 1];    /* empty when unreadable */
    char not_after[X509_TIME_TEXT_LEN + 1];
    char fingerprint[X509_FP_TEXT_LEN + 1];     /* SHA-1 of the DER, lower case */
    bool issuer_is_subject;                      /* the two Names are the same DER bytes */
    size_t n_san;
    uint16_t san_off[X509_SAN_MAX], san_len[X509_SAN_MAX]; /* into san_buf */
    char san_buf[X509_SAN_BUF];
};

/*
 * Reads one DER certificate of len bytes into *out. Returns 0, or -1 when
 * the structure up to the subject is not valid DER (out is then partly
 * filled). The signature is not checked.
 */
int x509_parse(const uint8_t *der, size_t len, struct x509_cert *out);

#endif
