/* A small, careful XML extractor and escaper for WS-Management messages:
 * finds elements by local name (any namespace prefix), reads attributes
 * and text with entities decoded. Not a validating parser: it skips the
 * prolog, comments, CDATA and processing instructions, and treats a
 * document whose elements do not close as not containing them. */
#ifndef OC_WSXML_H
#define OC_WSXML_H

#include <stddef.h>

#include "buf.h"

/* One element found in a document; points into the document. */
struct wsxml_el {
	const char *attrs;     /* the attribute text of the start tag */
	const char *attrs_end;
	const char *text;      /* raw content between start and end tags */
	const char *text_end;  /* (text == text_end for <x/>) */
	const char *end;       /* just past the element */
};

/* The first element named local in [p, end) (at any depth). Returns 0
 * and fills e (may be NULL), or -1. */
int wsxml_find(const char *p, const char *end, const char *local,
	       struct wsxml_el *e);
/* The first element named local whose attribute attr equals value. */
int wsxml_find_attr(const char *p, const char *end, const char *local,
		    const char *attr, const char *value, struct wsxml_el *e);
/* Attribute by local name, entities decoded, into out (cap bytes, cut at
 * a character boundary). 0 when present, -1 when absent. */
int wsxml_attr(const struct wsxml_el *e, const char *local, char *out,
	       size_t cap);
/* The element's text with entities decoded, markup inside it dropped,
 * white space collapsed and trimmed, control characters replaced by '?',
 * cut at a character boundary to fit cap bytes. */
void wsxml_text(const struct wsxml_el *e, char *out, size_t cap);
/* Appends s escaped for text and attribute values. Tab, LF and CR become
 * character references; other control characters, which XML 1.0 cannot
 * carry, become '?'. */
void wsxml_escape(struct buf *b, const char *s);
void wsxml_escape_n(struct buf *b, const char *s, size_t n);

#endif
