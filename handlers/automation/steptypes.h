/* The step library over HTTP: GET /api/v1/step-types[/{name}]. */
#ifndef OC_AUTOMATION_STEPTYPES_H
#define OC_AUTOMATION_STEPTYPES_H

struct req;

int steptypes_list(struct req *r);
int steptypes_get(struct req *r);

#endif
