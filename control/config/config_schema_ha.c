/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DOC: the config schema's high-availability sections, `carp` (vhids,
 * their keys and passwords) and `sync` (pfsync, its key file), beside the
 * rest of the schema in config_schema.c and in the same form: each key's
 * load and print functions side by side.  They load after the interfaces
 * they name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control/config/config_priv.h"

#include "control/config/config_schema.h"

/* --- carp --- */

static int
load_vhid_iface(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_vhid *vh = obj;
	int idx;

	if (cfg_load_iface_ref(ld, v, &idx) < 0)
		return -1;
	vh->iface = (unsigned int)idx;
	return 0;
}

static void
print_vhid_iface(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_vhid *vh = obj;

	cfg_print_iface_ref(o, k->name, (int)vh->iface);
}

/* The key is read at load, so a missing or bad key file fails the check (dpf -n). */
static int
load_key_file(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_vhid *vh = obj;
	char why[128];
	const char *s;
	size_t len;

	if (v->j == NULL)
		return 0;
	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	if (*s == '\0')
		return cfg_fail_val(ld, v, "must not be empty");
	vh->key_file = strdup(s);
	if (vh->key_file == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	if (cfg_read_key_file(s, vh->key, sizeof(vh->key) - 1, &len, why, sizeof(why)) < 0)
		return cfg_fail_val(ld, v, "key file \"%s\": %s", s, why);
	vh->key_len = (uint8_t)len;
	return 0;
}

static void
print_key_file(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_vhid *vh = obj;

	if (vh->key_file != NULL) {
		cfg_out_key(o, k->name);
		cfg_out_str(o, vh->key_file);
	}
}

/*
 * OpenBSD's ifconfig copies `pass` into the 20-byte sc_key with strlcpy, so
 * only 19 bytes count; a longer one is refused here rather than silently cut
 * (OpenBSD ip_carp.c carp_hmac_prepare_ctx).
 */
static int
load_pass(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_vhid *vh = obj;
	const char *s;

	if (v->j == NULL)
		return 0;
	if (vh->key_file != NULL)
		return cfg_fail_val(ld, v, "give either key_file or pass, not both");
	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	if (strlen(s) > sizeof(vh->key) - 1)
		return cfg_fail_val(ld, v, "the key is %zu bytes long, at most %zu", strlen(s),
				    sizeof(vh->key) - 1);
	memcpy(vh->key, s, strlen(s));
	vh->key_len = (uint8_t)strlen(s);
	return 0;
}

static void
print_pass(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_vhid *vh = obj;
	char pass[sizeof(vh->key)];

	if (vh->key_file != NULL)
		return;
	memcpy(pass, vh->key, vh->key_len);
	pass[vh->key_len] = '\0';
	cfg_out_key(o, k->name);
	cfg_out_str(o, pass);
	explicit_bzero(pass, sizeof(pass));
}

static int
load_vhid_addrs(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_vhid *vh = obj;

	if (cfg_load_prefixes(ld, v, CFG_PFX_V4 | CFG_PFX_V6 | CFG_PFX_UNICAST, CFG_MAX_ADDRS,
			  &vh->addrs, &vh->n_addrs) < 0)
		return -1;
	if (vh->n_addrs == 0)
		return cfg_fail_val(ld, v, "a vhid needs at least one address");
	return 0;
}

static void
print_vhid_addrs(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_vhid *vh = obj;

	cfg_out_key(o, k->name);
	cfg_out_prefixes(o, vh->addrs, vh->n_addrs, 0, true);
}

static int
load_vhid_peer(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_vhid *vh = obj;

	if (cfg_load_peer(ld, v, &vh->has_peer, &vh->peer) < 0)
		return -1;
	for (unsigned int i = 0; vh->has_peer && i < vh->n_addrs; i++)
		if (vh->addrs[i].af == vh->peer.af)
			return 0;
	if (vh->has_peer)
		return cfg_fail_val(ld, v, "peer %s is IPv%u but the vhid has no IPv%u address",
				    json_string_value(v->j), vh->peer.af, vh->peer.af);
	return 0;
}

static void
print_vhid_peer(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_vhid *vh = obj;

	cfg_print_peer(o, k->name, vh->has_peer, &vh->peer);
}

static int
check_vhid(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	const struct dpf_config *cfg = ld->cfg;
	const struct cfg_vhid *vh = obj;
	unsigned int idx = (unsigned int)(vh - cfg->carp.vhids);
	json_t *pass = json_object_get(v->j, "pass");
	struct cfg_val m;

	if (vh->key_file == NULL && (pass == NULL || json_is_null(pass)))
		return cfg_fail_val(ld, v, "a vhid needs \"key_file\" or \"pass\"");
	for (unsigned int i = 0; i < idx; i++) {
		if (cfg->carp.vhids[i].vhid == vh->vhid && cfg->carp.vhids[i].iface == vh->iface) {
			m = cfg_member(ld, v, "vhid");
			return cfg_fail_val(ld, &m, "vhid %u is already on interface %s "
					    "(also carp.vhids[%u])", vh->vhid,
					    cfg->ifaces[vh->iface].name, i);
		}
	}
	return 0;
}

static const struct cfg_key vhid_keys[] = {
	K_UINT("vhid", struct cfg_vhid, vhid, 1, 255, 0, .flags = CF_REQUIRED),
	K_CUSTOM("interface", load_vhid_iface, print_vhid_iface, .flags = CF_REQUIRED),
	K_UINT("advbase", struct cfg_vhid, advbase, 0, 255, 1),
	K_UINT("advskew", struct cfg_vhid, advskew, 0, 254, 0),
	K_CUSTOM("key_file", load_key_file, print_key_file, .flags = CF_NULL),
	K_CUSTOM("pass", load_pass, print_pass, .flags = CF_NULL),
	K_CUSTOM("addresses", load_vhid_addrs, print_vhid_addrs, .flags = CF_REQUIRED),
	K_CUSTOM("peer", load_vhid_peer, print_vhid_peer, .flags = CF_NULL),
};

static const struct cfg_obj vhid_obj = { "vhid", vhid_keys, NKEYS(vhid_keys), check_vhid };

static const struct cfg_key carp_keys[] = {
	K_BOOL("preempt", struct cfg_carp, preempt, false),
	K_UINT("log", struct cfg_carp, log, 0, 7, 2),
	K_ARR("vhids", struct cfg_carp, vhids, n_vhids, &vhid_obj, 0, CFG_MAX_VHIDS),
};

const struct cfg_obj cfg_carp_obj = { "carp", carp_keys, NKEYS(carp_keys), NULL };

/* --- sync --- */

static int
load_sync_peer(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_sync *s = obj;

	if (v->j != NULL && s->iface < 0)
		return cfg_fail_val(ld, v, "a sync peer needs sync.interface");
	return cfg_load_peer(ld, v, &s->has_peer, &s->peer);
}

static void
print_sync_peer(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_sync *s = obj;

	cfg_print_peer(o, k->name, s->has_peer, &s->peer);
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * sync.key_file: the key is the file's first line: hex when it holds
 * only hex digits (32 to 128 of them: 16 to 64 bytes), else the raw bytes
 * (16 to 64).  Like ssh with a private key, a file that group or others may
 * access is refused: the key lets anyone on the sync link write states.
 * Read at load, so `dpf -n` checks it.
 */
static int
load_sync_key_file(struct cfg_ld *ld, const struct cfg_val *v, void *obj)
{
	struct cfg_sync *sy = obj;
	uint8_t raw[2 * 64 + 1];
	char why[128];
	struct stat st;
	const char *s;
	size_t len, i;
	bool hex;

	if (v->j == NULL)
		return 0;
	if (cfg_get_str(ld, v, &s) < 0)
		return -1;
	if (*s == '\0')
		return cfg_fail_val(ld, v, "must not be empty");
	if (sy->iface < 0)
		return cfg_fail_val(ld, v, "a sync key needs sync.interface");
	sy->key_file = strdup(s);
	if (sy->key_file == NULL)
		return cfg_fail_val(ld, v, "out of memory");
	if (stat(s, &st) < 0)
		return cfg_fail_val(ld, v, "key file \"%s\": %s", s, strerror(errno));
	if (st.st_mode & 077)
		return cfg_fail_val(ld, v, "key file \"%s\" is accessible by group or others "
				    "(mode %04o): chmod 600 it", s, (unsigned int)(st.st_mode & 07777));
	if (cfg_read_key_file(s, raw, sizeof(raw) - 1, &len, why, sizeof(why)) < 0)
		return cfg_fail_val(ld, v, "key file \"%s\": %s", s, why);
	hex = len > 0;
	for (i = 0; hex && i < len; i++)
		hex = hexval(raw[i]) >= 0;
	if (hex && len % 2 != 0) {
		explicit_bzero(raw, sizeof(raw));
		return cfg_fail_val(ld, v, "key file \"%s\": an odd number of hex digits", s);
	}
	if (hex) {
		for (i = 0; i < len / 2; i++)
			raw[i] = (uint8_t)(hexval(raw[2 * i]) << 4 | hexval(raw[2 * i + 1]));
		len /= 2;
	}
	if (len < 16 || len > sizeof(sy->key)) {
		explicit_bzero(raw, sizeof(raw));
		return cfg_fail_val(ld, v, "key file \"%s\": the key is %zu bytes; it must be "
				    "16 to 64 bytes (or 32 to 128 hex digits)", s, len);
	}
	memcpy(sy->key, raw, len);
	sy->key_len = (uint8_t)len;
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

static void
print_sync_key_file(struct cfg_out *o, const struct cfg_key *k, const void *obj)
{
	const struct cfg_sync *sy = obj;

	cfg_out_key(o, k->name);
	if (sy->key_file != NULL)
		cfg_out_str(o, sy->key_file);
	else
		cfg_out_null(o);
}

static const struct cfg_key sync_keys[] = {
	K_IFACE("interface", struct cfg_sync, iface, .flags = CF_NULL),
	K_CUSTOM("peer", load_sync_peer, print_sync_peer, .flags = CF_NULL),
	K_BOOL("defer", struct cfg_sync, defer, false),
	K_UINT("maxupd", struct cfg_sync, maxupd, 0, 255, 128),
	/* A packet that is not full leaves when its oldest record is this old:
	 * 100 us .. 1 s (OpenBSD's timeout). */
	K_UINT("flush_us", struct cfg_sync, flush_us, 100, 1000000, 1000),
	K_CUSTOM("key_file", load_sync_key_file, print_sync_key_file, .flags = CF_NULL),
};

const struct cfg_obj cfg_sync_obj = { "sync", sync_keys, NKEYS(sync_keys), NULL };
