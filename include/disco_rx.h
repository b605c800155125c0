/* disco_rx.h: the reading thread of a privileged discovery prober.
 *
 * A prober reads its answers from a few descriptors (raw sockets, pcap's
 * selectable descriptors). disco_rx runs one thread that polls them and
 * calls the prober's read function for each that is readable; the thread
 * wakes at least every DISCO_RX_POLL_MS to see whether it must stop, so
 * disco_rx_stop() returns within that time. The read function must not
 * block (non-blocking sockets, pcap_setnonblock). */
#ifndef PORTOLAN_DISCO_RX_H
#define PORTOLAN_DISCO_RX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#define DISCO_RX_POLL_MS 50
#define DISCO_RX_MAX 34

/* Reads what is waiting on descriptor number i (0-based, as added).
 * Returns 0, or -1 when the descriptor is broken for good (a capture whose
 * interface went away): it is then polled no more, so that the thread
 * does not spin on its error. */
typedef int disco_rx_fn(void *ctx, size_t i);

struct disco_rx {
	int fds[DISCO_RX_MAX];
	size_t n;
	disco_rx_fn *read;
	void *ctx;
	pthread_t thread;
	bool started;
	atomic_bool quit;
};

/* Empties rx for read(ctx, i). */
void disco_rx_init(struct disco_rx *rx, disco_rx_fn *read, void *ctx);
/* Adds a descriptor before the start: its number, or -1 when full. */
int disco_rx_add(struct disco_rx *rx, int fd);
/* Starts the thread (SIGINT, SIGTERM and SIGUSR2 blocked in it, as in
 * every thread but the main one). 0, or -1 with *err set. */
int disco_rx_start(struct disco_rx *rx, const char *who, GError **err);
/* Stops and joins the thread, if started. */
void disco_rx_stop(struct disco_rx *rx);

#endif
