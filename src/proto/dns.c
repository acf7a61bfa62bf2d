/* SPDX-License-Identifier: MIT */
/* dns: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_dns_udp_parser = {.name = "dns", .proto = APP_NONE};
const struct proto_parser proto_dns_tcp_parser = {.name = "dns", .proto = APP_NONE};
const struct proto_parser proto_mdns_parser = {.name = "dns", .proto = APP_NONE};
