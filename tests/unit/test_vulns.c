/* SPDX-License-Identifier: MIT */
/*
 * test_vulns: the vulnerability catalog. Version constraints against
 * worked examples; matching by maker, product and version (and never by
 * maker alone); bad lines named; CISA KEV and CVE JSON 5 files merged, a
 * malformed one refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assess/vulns.h"
#include "eve_tmp.h"

static const char *const catalog =
    "# test catalog\n"
    "CVE-2020-0001 | Acme Medical | Pump 9 | device | pump ?9 | <2.1,=3.0 | 9.8/3.1 | no | "
    "ICSMA-20-001-01 | remote takeover\n"
    "CVE-2020-0002 | BusyBox | BusyBox | software | udhcp | <=1.35.0 | 8.8/3.1 | no | NVD | "
    "applet flaw\n"
    "CVE-2020-0003 | OFFIS | DCMTK | software | OFFIS_DCMTK_([0-9])([0-9])([0-9]) | <=3.6.6 | "
    "7.5/3.1 | yes | ICSMA-22-174-01 | path traversal\n"
    "CVE-2020-0004 | Acme Medical | Monitor | device | (monitor|central) | advisory | 5.0/3.0 | no "
    "| ICSMA-20-004-01 | data exposure\n";

static struct vuln_catalog *load(const char *text)
{
    char path[EVE_TMP_PATH_LEN + 32], err[VULN_ERROR_LEN];
    struct vuln_catalog *c;

    assert_int_equal(tmp_file_write("vulns.conf", text, path, sizeof(path)), 0);
    c = vuln_load(path, err);
    if (c == NULL) {
        fail_msg("%s", err);
    }
    return c;
}

static void versions_worked_examples(void **state)
{
    (void)state;
    assert_true(vuln_version_affected("all", "1.0"));
    assert_true(vuln_version_affected("<2.1", "2.0.9"));
    assert_false(vuln_version_affected("<2.1", "2.1"));
    assert_true(vuln_version_affected("<2.1", "2"));     /* 2 is 2.0 */
    assert_true(vuln_version_affected("<=1.35.0", "1.35"));
    assert_false(vuln_version_affected("<=1.35.0", "1.35.1"));
    assert_true(vuln_version_affected("1.0-2.3", "2.3"));
    assert_false(vuln_version_affected("1.0-2.3", "2.3.1"));
    assert_true(vuln_version_affected("1.0-<2.3", "2.2.99"));
    assert_false(vuln_version_affected("1.0-<2.3", "2.3"));
    assert_true(vuln_version_affected("6.x", "6.12"));
    assert_false(vuln_version_affected("6.x", "7.0"));
    assert_true(vuln_version_affected(">=4.2", "10.0"));     /* numbers, not text: 10 > 4 */
    assert_true(vuln_version_affected("=1.1, =1.5, =1.6", "1.5"));
    assert_false(vuln_version_affected("=1.1,=1.5", "1.51"));
    assert_false(vuln_version_affected("<2.1", "2.0a")); /* not a version: no claim */
}

static size_t match(const struct vuln_catalog *c, const char *vendor, const char *kind,
                    const char *value, struct vuln_match *out, size_t max)
{
    const char *kinds[] = {kind}, *values[] = {value};
    struct vuln_subject s = {vendor, kinds, values, 1};

    return vuln_match(c, &s, out, max);
}

static void matching(void **state)
{
    struct vuln_catalog *c;
    struct vuln_match m[4];

    (void)state;
    c = load(catalog);
    assert_int_equal(vuln_count(c), 4);
    /* the maker and the product, version affected: high */
    assert_int_equal(match(c, "Acme Medical Systems, Inc.", "dhcp.vendor_class", "Pump9 2.0.4",
                           m, 4), 1);
    assert_string_equal(m[0].v->cve, "CVE-2020-0001");
    assert_int_equal(m[0].confidence, VULN_HIGH);
    assert_string_equal(m[0].version, "2.0.4");
    /* a version outside the affected ones: no match */
    assert_int_equal(match(c, "Acme Medical", "dhcp.vendor_class", "Pump 9 2.5", m, 4), 0);
    /* no version seen: medium */
    assert_int_equal(match(c, "Acme Medical", "mdns.model", "Pump 9", m, 4), 1);
    assert_int_equal(m[0].confidence, VULN_MEDIUM);
    assert_string_equal(m[0].version, "");
    /* the product without the maker: a device entry claims nothing */
    assert_int_equal(match(c, "Other Corp", "dhcp.vendor_class", "Pump 9 2.0", m, 4), 0);
    /* the maker alone: nothing */
    assert_int_equal(match(c, "Acme Medical", "dhcp.vendor_class", "Ventilator 2.0", m, 4), 0);
    /* evidence about someone else (a name asked for in DNS) is not the device's */
    assert_int_equal(match(c, "Acme Medical", "dns.query", "pump9.example", m, 4), 0);
    /* software: the pattern alone; the first dotted number after it is the version */
    assert_int_equal(match(c, "Lantronix", "dhcp.vendor_class", "udhcp 1.35.0", m, 4), 1);
    assert_string_equal(m[0].v->cve, "CVE-2020-0002");
    assert_int_equal(m[0].confidence, VULN_HIGH);
    assert_int_equal(match(c, "Lantronix", "dhcp.vendor_class", "udhcp 1.36.1", m, 4), 0);
    /* groups spell the version: OFFIS_DCMTK_366 is 3.6.6 */
    assert_int_equal(match(c, "", "dicom.implementation_version", "OFFIS_DCMTK_366", m, 4), 1);
    assert_string_equal(m[0].version, "3.6.6");
    assert_true(m[0].v->kev);
    assert_int_equal(match(c, "", "dicom.implementation_version", "OFFIS_DCMTK_367", m, 4), 0);
    /* "advisory" versions are not judged: medium even with a version */
    assert_int_equal(match(c, "Acme Medical", "mdns.model", "Central 4.2", m, 4), 1);
    assert_int_equal(m[0].confidence, VULN_MEDIUM);
    assert_string_equal(m[0].version, "4.2"); /* a group of words is not the version */
    vuln_free(c);
}

static void bad_lines_named(void **state)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"CVE-2020-1 | A | B | device | x | all | 1.0/3.1 | no | X | s\n", "is not a CVE id"},
        {"CVE-2020-0001 | A | B | firmware | x | all | 1.0/3.1 | no | X | s\n",
         "neither device nor software"},
        {"CVE-2020-0001 | A | B | device | x | >2.0 | 1.0/3.1 | no | X | s\n", "versions"},
        {"CVE-2020-0001 | A | B | device | x | all | 11/3.1 | no | X | s\n", "SCORE/VERSION"},
        {"CVE-2020-0001 | A | B | device | x | all | 1.0/3.1 | maybe | X | s\n", "kev"},
        {"CVE-2020-0001 | A | B | device | x( | all | 1.0/3.1 | no | X | s\n", "match pattern"},
        {"CVE-2020-0001 | A | B | device | x | all | 1.0/3.1 | no | X\n", "9 fields, want 10"},
        {"CVE-2020-0001 | A | B | device | x | all | 1.0/3.1 | no | X | s\n"
         "CVE-2020-0001 | A | B | device | x | all | 1.0/3.1 | no | X | s\n",
         ":2: CVE-2020-0001 is in the catalog already"},
    };
    char path[EVE_TMP_PATH_LEN + 32], err[VULN_ERROR_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(tmp_file_write("bad.conf", cases[i].text, path, sizeof(path)), 0);
        assert_null(vuln_load(path, err));
        if (strstr(err, "bad.conf:") == NULL || strstr(err, cases[i].why) == NULL) {
            fail_msg("case %zu: %s", i, err);
        }
    }
}

static const char *const kev_json =
    "{\"title\": \"CISA Catalog of Known Exploited Vulnerabilities\", \"catalogVersion\": "
    "\"2026.12.01\", \"count\": 2, \"vulnerabilities\": ["
    "{\"cveID\": \"CVE-2020-0001\", \"vendorProject\": \"Acme Medical\", \"product\": "
    "\"Pump 9\", \"shortDescription\": \"x\"},"
    "{\"cveID\": \"CVE-2021-0099\", \"vendorProject\": \"Acme Medical\", \"product\": "
    "\"Infusion Hub\", \"shortDescription\": \"hub takeover\"}]}";

static const char *const cve5_json =
    "{\"dataType\": \"CVE_RECORD\", \"dataVersion\": \"5.1\", \"cveMetadata\": {\"cveId\": "
    "\"CVE-2022-0100\"}, \"containers\": {\"cna\": {\"affected\": [{\"vendor\": \"Acme "
    "Medical\", \"product\": \"Gateway (GW)\", \"versions\": [{\"version\": \"0\", \"lessThan\": "
    "\"4.2\", \"status\": \"affected\", \"versionType\": \"custom\"}]}], \"descriptions\": "
    "[{\"lang\": \"en\", \"value\": \"gateway overflow\"}], \"metrics\": [{\"cvssV3_1\": "
    "{\"baseScore\": 9.1}}]}}}";

/* A file merged as `wardwatch vulns --import` merges it. */
static int vuln_import(struct vuln_catalog *c, const char *path, char *err)
{
    char *text = vuln_file_text(path, err);
    int rc = text != NULL ? vuln_import_text(c, text, path, err) : -1;

    free(text);
    return rc;
}

static void imports(void **state)
{
    char path[EVE_TMP_PATH_LEN + 32], err[VULN_ERROR_LEN];
    struct vuln_catalog *c;
    struct vuln_match m[4];
    const struct vuln *v;

    (void)state;
    c = load(catalog);
    assert_int_equal(tmp_file_write("kev.json", kev_json, path, sizeof(path)), 0);
    assert_int_equal(vuln_import(c, path, err), 2); /* one marked exploited, one added */
    assert_int_equal(vuln_count(c), 5);
    assert_true(vuln_at(c, 0)->kev);
    v = vuln_at(c, 4);
    assert_string_equal(v->cve, "CVE-2021-0099");
    assert_true(v->kev);
    assert_string_equal(v->versions, "advisory");
    assert_int_equal(match(c, "Acme Medical", "ssdp.server", "Infusion Hub/7.1", m, 4), 1);
    assert_int_equal(m[0].confidence, VULN_MEDIUM);
    assert_int_equal(tmp_file_write("cve.json", cve5_json, path, sizeof(path)), 0);
    assert_int_equal(vuln_import(c, path, err), 1);
    v = vuln_at(c, 5);
    assert_string_equal(v->versions, "<4.2");
    assert_float_equal(v->cvss, 9.1, 1e-9);
    assert_string_equal(v->cvss_version, "3.1");
    /* the product's name is taken literally: its parentheses are not a group */
    assert_int_equal(match(c, "Acme Medical", "http.server", "Gateway (GW) 4.1.7", m, 4), 1);
    assert_string_equal(m[0].version, "4.1.7");
    assert_int_equal(m[0].confidence, VULN_HIGH);
    /* a malformed file is refused whole */
    assert_int_equal(tmp_file_write("bad.json",
                                    "{\"catalogVersion\": \"1\", \"vulnerabilities\": ["
                                    "{\"cveID\": \"CVE-2023-0001\", \"vendorProject\": \"A\","
                                    " \"product\": \"B\"}, {\"cveID\": \"not-a-cve\"}]}",
                                    path, sizeof(path)),
                     0);
    assert_int_equal(vuln_import(c, path, err), -1);
    assert_non_null(strstr(err, "vulnerabilities[1]: cveID \"not-a-cve\" is not a CVE id"));
    assert_non_null(strstr(err, "nothing imported"));
    assert_int_equal(vuln_count(c), 6);
    assert_int_equal(tmp_file_write("trunc.json", "{\"dataType\": ", path, sizeof(path)), 0);
    assert_int_equal(vuln_import(c, path, err), -1);
    assert_non_null(strstr(err, "trunc.json:1:"));
    assert_int_equal(tmp_file_write("other.json", "{\"hello\": 1}", path, sizeof(path)), 0);
    assert_int_equal(vuln_import(c, path, err), -1);
    assert_non_null(strstr(err, "not a CVE JSON 5 record"));
    assert_int_equal(vuln_count(c), 6);
    vuln_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(versions_worked_examples),
        cmocka_unit_test(matching),
        cmocka_unit_test(bad_lines_named),
        cmocka_unit_test(imports),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
