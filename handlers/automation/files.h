/* Job attachments for sftp.upload: raw upload with ?name=, list, metadata,
 * content, delete. */
#ifndef OC_AUTOMATION_FILES_H
#define OC_AUTOMATION_FILES_H

#include "valid.h"

struct req;

extern const struct field files_upload_query[];
extern const struct field files_get_query[];

int files_upload(struct req *r);
int files_list(struct req *r);
int files_get(struct req *r);
int files_delete(struct req *r);

#endif
