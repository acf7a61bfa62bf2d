/* SPDX-License-Identifier: MIT */
/* tls: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_tls_parser = {.name = "tls", .proto = APP_NONE};
