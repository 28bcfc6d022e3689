/* Discovery import: chosen scan results become targets (with a credential
 * and groups) in one transaction. */
#ifndef OC_ASSETS_SCANIMPORT_H
#define OC_ASSETS_SCANIMPORT_H

#include "valid.h"

struct req;

extern const struct field scanimport_fields[];

/* POST /api/v1/discovery/import -> 201 {created, items} */
int scanimport_post(struct req *r);

#endif
