/* A strict RFC 4180 CSV reader for the bulk import. */
#include <string.h>

#include "arena.h"
#include "csv.h"

long
csv_parse(struct arena *a, const char *text, size_t len, size_t max_rows,
	  size_t max_fields, struct csv_row **rows, size_t *err_line,
	  const char **why)
{
	struct csv_row *out = arena_alloc(a, sizeof(*out) * (max_rows + 1));
	char *buf = arena_alloc(a, len + 1), *cell;
	char **fields = arena_alloc(a, sizeof(char *) * (max_fields + 1));
	size_t i = 0, nrows = 0, nf = 0, blen = 0, line = 1, start = 1;
	int quoted, blank;

	*rows = out;
	while (i < len) {
		/* One row: fields until an unquoted line break. */
		nf = 0;
		start = line;
		blank = 1;
		for (;;) {
			cell = buf + blen;
			quoted = i < len && text[i] == '"';
			if (quoted) {
				blank = 0;
				i++;
				for (;;) {
					if (i >= len) {
						*err_line = start;
						*why = "a quoted field is not "
						       "closed";
						return -1;
					}
					if (text[i] == '"' && i + 1 < len &&
					    text[i + 1] == '"') {
						buf[blen++] = '"';
						i += 2;
					} else if (text[i] == '"') {
						i++;
						break;
					} else {
						if (text[i] == '\n')
							line++;
						buf[blen++] = text[i++];
					}
				}
				if (i < len && text[i] != ',' &&
				    text[i] != '\n' && text[i] != '\r') {
					*err_line = line;
					*why = "text follows a closing quote";
					return -1;
				}
			} else {
				while (i < len && text[i] != ',' &&
				       text[i] != '\n' && text[i] != '\r') {
					if (text[i] == '"') {
						*err_line = line;
						*why = "a quote inside an "
						       "unquoted field";
						return -1;
					}
					blank = 0;
					buf[blen++] = text[i++];
				}
			}
			buf[blen++] = '\0';
			if (nf == max_fields) {
				*err_line = start;
				*why = "a row has too many fields";
				return -1;
			}
			fields[nf++] = cell;
			if (i < len && text[i] == ',') {
				blank = 0;
				i++;
				continue;
			}
			break;
		}
		if (i < len && text[i] == '\r')
			i++;
		if (i < len && text[i] == '\n')
			i++;
		line++;
		if (blank)
			continue;
		if (nrows == max_rows) {
			*err_line = start;
			*why = "too many rows";
			return -1;
		}
		out[nrows].field = arena_alloc(a, sizeof(char *) * nf);
		memcpy(out[nrows].field, fields, sizeof(char *) * nf);
		out[nrows].n = nf;
		out[nrows].line = start;
		nrows++;
	}
	return (long)nrows;
}
