/* SPDX-License-Identifier: MIT */
/* ssh: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_ssh_parser = {.name = "ssh", .proto = APP_NONE};
