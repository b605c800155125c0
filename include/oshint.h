/* oshint.h: a coarse OS family from a SYN-ACK's evidence, merged with the
 * hint a service banner gave (detection's os_hint).
 *
 * The evidence (result.h's struct os_evidence) is what packet.c read from
 * the answer: initial TTL, window, options in order, window scale, DF. The
 * verdict is a family with an accuracy (0-100, as nmap's osclass/osmatch
 * carry it) and a reason naming the evidence, so users can judge it; it
 * never claims more than the evidence supports (see oshint.c for the rules
 * and their sources). */
#ifndef PORTOLAN_OSHINT_H
#define PORTOLAN_OSHINT_H

#include <stdbool.h>

#include "result.h"

#define OSHINT_REASON_LEN 512

struct os_guess {
	const char *family;      /* static text */
	unsigned accuracy;       /* 0-100 */
	unsigned set;            /* the families it allows (oshint.c's bits) */
	char reason[OSHINT_REASON_LEN];
};

/* Judges ev. Returns false (g untouched) when the evidence says nothing. */
bool oshint_classify(const struct os_evidence *ev, struct os_guess *g);

/* The verdict for r from r->os_ev and r->os_hint: sets r->os_family,
 * r->os_reason and r->os_accuracy (or leaves them NULL and 0 when neither
 * says anything). A result that already has a verdict (a row read back) is
 * left alone. Called by the results thread before any writer sees r. */
void oshint_finish(struct result *r);

#endif
