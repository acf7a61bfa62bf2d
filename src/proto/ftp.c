/* SPDX-License-Identifier: MIT */
/* ftp: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_ftp_parser = {.name = "ftp", .proto = APP_NONE};
