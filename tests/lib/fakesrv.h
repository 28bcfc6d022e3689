/* Fake network servers for tests: SSH banners, WinRM over HTTP and HTTPS
 * and silent or full-backlog listeners on loopback, served by one thread. */
#ifndef OC_FAKESRV_H
#define OC_FAKESRV_H

#include <stddef.h>
#include <stdint.h>

enum fakesrv_kind {
	FAKESRV_SSH,	/* sends text (after delay_ms), then holds */
	FAKESRV_HTTP,	/* answers a request with status and Server: text */
	FAKESRV_HTTPS,	/* the same over TLS */
	FAKESRV_SILENT, /* accepts and never sends */
};

/* One fake server. The caller owns it (static storage in practice) and
 * sets kind, addr, port (0: any free one), text, status and delay_ms;
 * fd, accepted and request are filled in here. */
struct fakesrv {
	enum fakesrv_kind kind;
	const char *addr; /* IPv4 or IPv6 literal; not copied */
	uint16_t port;
	int fd;
	const char *text;   /* banner, or Server header value; not copied */
	int status;	    /* HTTP status */
	int delay_ms;	    /* before the banner */
	int accepted;	    /* connections accepted */
	char request[2048]; /* last HTTP request head and body */
};

/* A listener whose backlog is full: a further connect is never answered
 * (the kernel drops the SYN), so a client sees a true connect timeout. */
struct fakesrv_full {
	struct fakesrv l; /* kind FAKESRV_SILENT, never accepts */
	int fill[2];	  /* the connects that fill the backlog */
};

/* Starts the server thread (and a throw-away TLS certificate for
 * FAKESRV_HTTPS). Once per process; BAIL_OUT on failure. */
void fakesrv_start(void);
/* Removes every fake, stops the thread and frees what start made. */
void fakesrv_stop(void);

/* Binds and listens on f->addr:f->port (0: any; the port taken is stored
 * back) with backlog. 0 or -errno. The caller owns f->fd until
 * fakesrv_add. */
int fakesrv_bind(struct fakesrv *f, int backlog);
/* Binds every fake in fs on one free port, never one an earlier group
 * got (a scan's ports must differ). 0, or -1 with nothing left open. */
int fakesrv_group(struct fakesrv **fs, size_t n);
/* Serves a bound f from now on: f must stay valid, and its fd is the
 * server's, until fakesrv_remove_all. */
void fakesrv_add(struct fakesrv *f);
/* Closes every connection and every fake's listener; the fakes' counters
 * and request stay readable. */
void fakesrv_remove_all(void);
/* The most connections open at once, across every fake, since the last
 * call or fakesrv_remove_all; counting restarts from those open now. */
int fakesrv_take_max_open(void);

/* Binds fl->l (addr, port 0) with a zero backlog and fills it with two
 * pending connects. 0: a further connect will time out; 1: this kernel
 * completes connects past a full backlog (the test cannot rely on it).
 * BAIL_OUT when it cannot bind or connect. Either way the caller ends
 * with fakesrv_full_close. */
int fakesrv_full_open(struct fakesrv_full *fl, const char *addr);
void fakesrv_full_close(struct fakesrv_full *fl);

#endif
