/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: names of pf's values (proto/pf.h).
 */
#include "proto/pf.h"
#include "proto/proto.h"

PROTO_NAME_FN(pf_action_name, unsigned int, PF_ACTION_LIST, PF_ACTION_MAX);
PROTO_NAME_FN(pf_dir_name, unsigned int, PF_DIR_LIST, PF_DIR_MAX);
PROTO_NAME_FN(pf_tcps_name, unsigned int, PF_TCPS_LIST, PF_TCPS_MAX);
