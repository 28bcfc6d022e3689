/* Bulk import of targets from CSV or JSON, validated as a whole: every
 * row is created, or none and a 422 lists the errors per row. */
#ifndef OC_ASSETS_IMPORT_H
#define OC_ASSETS_IMPORT_H

struct req;

/* POST /api/v1/targets/import (text/csv or application/json; the route
 * has ROUTE_RAW_BODY). -> 201 {created, ids} */
int import_targets(struct req *r);

#endif
