/* SPDX-License-Identifier: MIT */
/* ssdp: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_ssdp_parser = {.name = "ssdp", .proto = APP_NONE};
