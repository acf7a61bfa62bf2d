/* SPDX-License-Identifier: MIT */
/* http: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_http_parser = {.name = "http", .proto = APP_NONE};
