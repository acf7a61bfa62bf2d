/* SPDX-License-Identifier: MIT */
/* telnet: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_telnet_parser = {.name = "telnet", .proto = APP_NONE};
