/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LD_PRELOAD shim for test_rss.sh: a device that will not take a RETA.
 * rte_eth_dev_rss_reta_update() fails as a PMD without reta_update does
 * (-ENOTSUP), so dpf must keep the device's own table and say so.
 */
#include <errno.h>
#include <stdint.h>

struct rte_eth_rss_reta_entry64;

int rte_eth_dev_rss_reta_update(uint16_t port_id, struct rte_eth_rss_reta_entry64 *reta_conf,
				uint16_t reta_size);

int
rte_eth_dev_rss_reta_update(uint16_t port_id, struct rte_eth_rss_reta_entry64 *reta_conf,
			    uint16_t reta_size)
{
	(void)port_id;
	(void)reta_conf;
	(void)reta_size;
	return -ENOTSUP;
}
