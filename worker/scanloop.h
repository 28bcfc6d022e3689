/* The discovery scanner's event loop, behind scan_run (see scan.h). */
#ifndef OC_SCANLOOP_H
#define OC_SCANLOOP_H

#include <stddef.h>

#include "scan.h"

/* Runs a scan with options already checked and the port list resolved
 * (ports[0..nports)). Returns as scan_run does. stats may be NULL. */
int scanloop_run(const struct scan_opts *o, const struct scan_port *ports,
		 size_t nports, struct scan_stats *stats, char *err,
		 size_t errlen);

#endif
