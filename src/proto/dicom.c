/* SPDX-License-Identifier: MIT */
/* dicom: placeholder until the parser lands (issue 3). */
#include "proto/proto.h"

const struct proto_parser proto_dicom_parser = {.name = "dicom", .proto = APP_NONE};
