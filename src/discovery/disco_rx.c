/* disco_rx.c: the reading thread of a privileged discovery prober: poll()
 * over its descriptors, a read call per readable one, a look at the quit
 * flag at least every DISCO_RX_POLL_MS (disco_rx.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "disco_rx.h"
#include "errors.h"

void disco_rx_init(struct disco_rx *rx, disco_rx_fn *read, void *ctx)
{
	memset(rx, 0, sizeof(*rx));
	rx->read = read;
	rx->ctx = ctx;
	atomic_init(&rx->quit, false);
}

int disco_rx_add(struct disco_rx *rx, int fd)
{
	if (rx->n == DISCO_RX_MAX || fd < 0)
		return -1;
	rx->fds[rx->n] = fd;
	return (int)rx->n++;
}

static void *rx_main(void *arg)
{
	struct disco_rx *rx = arg;
	struct pollfd pfd[DISCO_RX_MAX];
	sigset_t mine;

	/* Only the main thread handles SIGINT, SIGTERM and SIGUSR2 (scan.c).
	 * Every other signal stays open here, whatever the creator blocked:
	 * the privilege drop asks each thread, this one too, to clear its own
	 * capabilities with a real-time signal (privdrop.c), and a thread that
	 * blocks it makes the drop fail. */
	sigemptyset(&mine);
	sigaddset(&mine, SIGINT);
	sigaddset(&mine, SIGTERM);
	sigaddset(&mine, SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &mine, NULL);
	for (size_t i = 0; i < rx->n; i++)
		pfd[i] = (struct pollfd){ .fd = rx->fds[i], .events = POLLIN };
	while (!atomic_load(&rx->quit)) {
		int n = poll(pfd, (nfds_t)rx->n, DISCO_RX_POLL_MS);

		if (n < 0 && errno != EINTR)
			break;
		for (size_t i = 0; n > 0 && i < rx->n; i++)
			if ((pfd[i].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) &&
			    rx->read(rx->ctx, i) < 0)
				pfd[i].fd = -1;        /* poll() skips it from now on */
	}
	return NULL;
}

int disco_rx_start(struct disco_rx *rx, const char *who, GError **err)
{
	sigset_t all, old;
	int rc;

	/* Started with every signal blocked; rx_main opens what it takes. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&rx->thread, NULL, rx_main, rx);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "%s: cannot start its reader: %s", who,
			    strerror(rc));
		return -1;
	}
	rx->started = true;
	return 0;
}

void disco_rx_stop(struct disco_rx *rx)
{
	if (!rx->started)
		return;
	atomic_store(&rx->quit, true);
	pthread_join(rx->thread, NULL);
	rx->started = false;
}
