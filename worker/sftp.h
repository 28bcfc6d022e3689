/* File transfer over an SSH session (SFTP through libssh2): atomic uploads
 * with a mode and an overwrite policy, capped downloads, and SHA-256
 * verification against sha256sum on the target. */
#ifndef OC_SFTP_H
#define OC_SFTP_H

#include <stddef.h>

#include "buf.h"
#include "ssh.h"

/* What an upload does when the remote file exists. */
enum sftp_overwrite {
	SFTP_OVERWRITE,	     /* replace it (atomically) */
	SFTP_SKIP_IF_EXISTS, /* leave it, report skipped */
	SFTP_FAIL_IF_EXISTS, /* fail with SSH_ERR_EXISTS */
};

/* Options; zero means the default. */
struct sftp_opt {
	int mode; /* permission bits; 0: 0644 */
	enum sftp_overwrite overwrite;
	int no_verify;	      /* skip the sha256sum comparison */
	int timeout_ms;	      /* whole transfer; 0: 60000 */
	volatile int *cancel; /* may be NULL */
};

struct sftp_result {
	int skipped;	 /* skip_if_exists found the file: nothing sent */
	int verified;	 /* the target's sha256sum matched */
	size_t bytes;	 /* transferred */
	char sha256[65]; /* hex SHA-256 of the content */
};

/* Writes data[0..len) to path: to a temporary name in the same directory,
 * mode set, checksum verified, then renamed over path, so path never
 * holds a partial or corrupt file. r and err may be NULL. */
enum ssh_status sftp_upload(struct ssh_conn *c, const char *path,
			    const void *data, size_t len,
			    const struct sftp_opt *o, struct sftp_result *r,
			    struct ssh_err *err);
/* Appends path to out (a buf the caller initialized and cleans up),
 * failing with SSH_ERR_TOO_LARGE beyond max bytes, and verifies the
 * checksum. overwrite and mode are not used. */
enum ssh_status sftp_download(struct ssh_conn *c, const char *path, size_t max,
			      const struct sftp_opt *o, struct buf *out,
			      struct sftp_result *r, struct ssh_err *err);
/* Removes a remote file; a missing file is not an error. */
enum ssh_status sftp_remove(struct ssh_conn *c, const char *path,
			    int timeout_ms, struct ssh_err *err);

#endif
