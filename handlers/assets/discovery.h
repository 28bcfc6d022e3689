/* Network discovery: the admin's safety settings (allowed ranges, host
 * limit), scans queued for the worker, their progress, cancel, results. */
#ifndef OC_ASSETS_DISCOVERY_H
#define OC_ASSETS_DISCOVERY_H

#include "valid.h"

struct req;

extern const struct field discovery_settings_fields[];
extern const struct field discovery_scan_fields[];
extern const struct field discovery_scans_query[];
extern const struct field discovery_results_query[];

int discovery_settings_get(struct req *r);
int discovery_settings_put(struct req *r);
int discovery_scan_create(struct req *r);
int discovery_scan_list(struct req *r);
int discovery_scan_get(struct req *r);
int discovery_scan_cancel(struct req *r);
int discovery_scan_results(struct req *r);

#endif
