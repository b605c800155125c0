/* disco-drive: runs one privileged discovery prober (probe_raw.h) without
 * the discovery engine, for the lab test tests/lab/18-disco-probers.sh.
 *
 *   disco-drive [-p PORT,...] [-a ATTEMPTS] [-w WAIT_MS] [-u USER] PROBER ADDR...
 *
 * Opens PROBER; with -u, gives up root and capabilities as a scan does
 * between the probers' open() and the first packet (privdrop.h: every
 * thread, the prober's readers too, must take part); sends attempt 0 to every ADDR, waits up to WAIT_MS / ATTEMPTS
 * (default 1500 / 2) or until every address has answered, sends the next
 * attempt to those that have not, and so on; then closes the prober. It
 * prints one line per address as it learns it: "ADDR REASON" for the first
 * proof of life (reason_name's word), "ADDR skip" when the prober does not
 * apply, "ADDR error: TEXT" for a local failure. A proof for an address not
 * on the command line prints "ADDR unasked REASON" (never expected). Exit
 * status 0, or 2 for bad usage, 3 when the prober cannot open. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "disco_probe.h"
#include "privdrop.h"
#include "probe_raw.h"
#include "result.h"

struct drive {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct pl_addr *addr;
	bool *done;
	size_t n, ndone;
};

static void on_alive(void *ctx, const struct pl_addr *a, enum reason why, uint8_t ttl)
{
	struct drive *d = ctx;
	char text[PL_ADDRSTRLEN];
	bool known = false;

	pl_addr_format(a, text, sizeof(text));
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n; i++) {
		if (!pl_addr_equal(&d->addr[i], a))
			continue;
		known = true;
		if (!d->done[i]) {
			d->done[i] = true;
			d->ndone++;
			printf("%s %s\n", text, reason_name(why));
			pthread_cond_broadcast(&d->changed);
		}
	}
	if (!known)
		printf("%s unasked %s\n", text, reason_name(why));
	fflush(stdout);
	pthread_mutex_unlock(&d->lock);
}

static int usage(void)
{
	fprintf(stderr, "usage: disco-drive [-p PORT,...] [-a ATTEMPTS] [-w WAIT_MS] [-u USER] PROBER ADDR...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct drive d = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
	uint16_t ports[16];
	size_t nports = 0;
	unsigned attempts = 2;
	long wait_ms = 1500;
	atomic_bool stopping = false;
	const struct disco_prober *pr = NULL;
	struct disco_env env = { .alive = on_alive, .ctx = &d, .stopping = &stopping };
	GError *err = NULL;
	void *state = NULL;
	const char *user = NULL;
	int c, rc;

	while ((c = getopt(argc, argv, "p:a:w:u:")) != -1) {
		char **parts;

		switch (c) {
		case 'p':
			parts = g_strsplit(optarg, ",", -1);
			for (char **p = parts; *p != NULL && nports < G_N_ELEMENTS(ports); p++) {
				long v = strtol(*p, NULL, 10);

				if (v < 1 || v > 65535) {
					g_strfreev(parts);
					return usage();
				}
				ports[nports++] = (uint16_t)v;
			}
			g_strfreev(parts);
			break;
		case 'a':
			attempts = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			wait_ms = strtol(optarg, NULL, 10);
			break;
		case 'u':
			user = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind + 2 > argc || attempts < 1 || wait_ms < 1)
		return usage();
	for (size_t i = 0; disco_raw_probers[i] != NULL; i++)
		if (strcmp(disco_raw_probers[i]->name, argv[optind]) == 0)
			pr = disco_raw_probers[i];
	if (pr == NULL) {
		fprintf(stderr, "disco-drive: no prober '%s'\n", argv[optind]);
		return 2;
	}
	d.n = (size_t)(argc - optind - 1);
	d.addr = g_new0(struct pl_addr, d.n);
	d.done = g_new0(bool, d.n);
	for (size_t i = 0; i < d.n; i++)
		if (!pl_addr_parse(argv[optind + 1 + i], &d.addr[i])) {
			fprintf(stderr, "disco-drive: not an address: %s\n", argv[optind + 1 + i]);
			return 2;
		}
	env.tcp_ports = ports;
	env.ntcp_ports = nports;
	if ((rc = pr->open(&env, &state, &err)) != 0) {
		fprintf(stderr, "disco-drive: %s\n", err != NULL ? err->message : "open failed");
		g_clear_error(&err);
		return 3;
	}
	if (user != NULL) {
		struct privdrop *pd = privdrop_for(user, geteuid() == 0, &err);

		if (pd == NULL || privdrop_apply(pd, &err) != 0) {
			fprintf(stderr, "disco-drive: %s\n", err != NULL ? err->message : "privdrop failed");
			g_clear_error(&err);
			privdrop_free(pd);
			pr->close(state);
			return 3;
		}
		privdrop_free(pd);
	}
	for (unsigned at = 0; at < attempts; at++) {
		struct timespec until;
		long ms = wait_ms / (long)attempts;

		for (size_t i = 0; i < d.n; i++) {
			char text[PL_ADDRSTRLEN];
			bool done;

			pthread_mutex_lock(&d.lock);
			done = d.done[i];
			pthread_mutex_unlock(&d.lock);
			if (done)
				continue;
			rc = pr->send(state, &d.addr[i], at);
			if (rc == DISCO_SENT)
				continue;
			pl_addr_format(&d.addr[i], text, sizeof(text));
			pthread_mutex_lock(&d.lock);
			if (rc == DISCO_SKIP)
				printf("%s skip\n", text);
			else
				printf("%s error: %s\n", text, strerror(-rc));
			fflush(stdout);
			d.done[i] = true;
			d.ndone++;
			pthread_mutex_unlock(&d.lock);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&d.lock);
		while (d.ndone < d.n &&
		       pthread_cond_timedwait(&d.changed, &d.lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&d.lock);
	}
	for (size_t i = 0; pr->forget != NULL && i < d.n; i++)
		pr->forget(state, &d.addr[i]);
	pr->close(state);
	g_free(d.addr);
	g_free(d.done);
	return 0;
}
