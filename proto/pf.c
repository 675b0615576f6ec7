/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: names of pf's values (proto/pf.h).
 */
#include "proto/pf.h"

const char *
pf_action_name(unsigned int a)
{
	static const char *const names[PF_ACTION_MAX] = {
#define PF_ACTION_NAME(sym, n) [PF_##sym] = n,
		PF_ACTION_LIST(PF_ACTION_NAME)
#undef PF_ACTION_NAME
	};

	return a < PF_ACTION_MAX ? names[a] : "?";
}

const char *
pf_dir_name(unsigned int d)
{
	static const char *const names[PF_DIR_MAX] = {
#define PF_DIR_NAME(sym, n) [PF_##sym] = n,
		PF_DIR_LIST(PF_DIR_NAME)
#undef PF_DIR_NAME
	};

	return d < PF_DIR_MAX ? names[d] : "?";
}

const char *
pf_tcps_name(unsigned int s)
{
	static const char *const names[PF_TCPS_MAX] = {
#define PF_TCPS_NAME(sym, n) [PF_TCPS_##sym] = n,
		PF_TCPS_LIST(PF_TCPS_NAME)
#undef PF_TCPS_NAME
	};

	return s < PF_TCPS_MAX ? names[s] : "?";
}
