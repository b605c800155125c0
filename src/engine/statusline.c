/* statusline.c: a thread that redraws the progress line.
 *
 * The line shares its terminal with whatever else goes there, so it keeps
 * to two rules. It fits on one line: cut to the terminal's width, asked
 * again at every redraw (an ioctl every REDRAW_MS costs nothing, and it
 * follows a resized window without a SIGWINCH handler), because a line that
 * wraps cannot be taken back by CR and erase-line: each redraw left its
 * first part behind. And it never shares a line with a row: the thread that
 * writes rows erases it first (statusline_row_begin), and the next redraw
 * puts it back once the row is out. */
#include "statusline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<sys/ioctl.h>)
#include <sys/ioctl.h>
#endif
#endif

#include "clock.h"

#define REDRAW_MS 250
/* After a row to a pipe, the line waits this long (and for the pipe to be
 * empty) before it is drawn again: the pipe's reader has yet to pass the
 * row on to the terminal, and a line drawn before it does would have the
 * row written after it, on the same line. */
#define ROW_QUIET_MS 100
#define DEFAULT_COLUMNS 80
#define MAX_COLUMNS 4096

/* How a stream of rows relates to the line's terminal. */
enum share {
	SHARE_NONE,           /* a file, another terminal: nothing to do */
	SHARE_TERMINAL,       /* the line's terminal itself */
	SHARE_PIPE,           /* a FIFO: its reader may copy rows to the terminal */
	SHARE_SOCKET,         /* the same, with no way to see it drained */
};

struct statusline {
	struct metrics *m;
	uint64_t total, base;
	uint64_t window, windows;     /* windows == 0: none */
	uint64_t wbase;               /* probes before the window began */
	FILE *fp;
	dev_t rdev;                   /* fp's terminal */
	unsigned env_columns;         /* COLUMNS, read once: getenv is the main thread's */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool drawn;                   /* the line is on the terminal */
	bool held;                    /* a row is being written: no redraw */
	int row_fd;                   /* the pipe or socket rows last went to; -1: none */
	enum share row_share;
	int64_t row_ms;               /* when the last row went to it */
	/* The row writer's own cache of the last stream it asked about. */
	int known_fd;
	enum share known_share;
	int64_t t0_ms;
};

/* COLUMNS as a shell sets it, for a terminal that does not tell its size. */
static unsigned env_columns(void)
{
	const char *s = getenv("COLUMNS");
	char *end;
	unsigned long n;

	if (s == NULL || *s < '0' || *s > '9')
		return DEFAULT_COLUMNS;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > MAX_COLUMNS)
		return DEFAULT_COLUMNS;
	return (unsigned)n;
}

static unsigned term_width(const struct statusline *sl)
{
#ifdef TIOCGWINSZ
	struct winsize ws;

	/* 0 columns: a pty nobody sized. */
	if (ioctl(fileno(sl->fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
#endif
	return sl->env_columns;
}

int64_t statusline_eta_s(const struct statusline_view *v)
{
	int64_t eta = -1, detect = (v->detect_left_ms + 999) / 1000;

	if (v->done >= v->total)
		eta = 0;
	else if (v->rate > 0)
		eta = (int64_t)ceil((double)(v->total - v->done) / v->rate);
	/* The rate is an average over tasks that mostly took no detection: a
	 * detection in flight can outlast it by seconds. Without a rate yet,
	 * only a scan whose every task left is in detection has an ETA. */
	if (detect > 0 && (eta >= 0 || v->done + v->detecting >= v->total))
		eta = eta > detect ? eta : detect;
	return eta;
}

static void format_eta(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		snprintf(buf, len, "--:--");
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%" PRId64 ":%02" PRId64, s / 60, s % 60);
}

/* One field of the line; the lowest `drop` goes first when it is too wide. */
struct field {
	const char *sep;              /* before it, unless it comes first */
	char text[64];
	int drop;                     /* 0: never left out */
	bool shown;
};

enum { F_WINDOW, F_DONE, F_PCT, F_RATE, F_ETA, F_OPEN, NFIELDS };

static size_t fields_width(const struct field *f)
{
	size_t w = 0;
	bool first = true;

	for (int i = 0; i < NFIELDS; i++) {
		if (!f[i].shown)
			continue;
		w += (first ? 0 : strlen(f[i].sep)) + strlen(f[i].text);
		first = false;
	}
	return w;
}

size_t statusline_format(char *buf, size_t len, const struct statusline_view *v,
			 unsigned width)
{
	struct field f[NFIELDS] = {
		[F_WINDOW] = { .sep = "", .drop = 3 },
		[F_DONE] = { .sep = "  ", .drop = 0 },
		[F_PCT] = { .sep = " ", .drop = 4 },
		[F_RATE] = { .sep = "  ", .drop = 1 },
		[F_ETA] = { .sep = "  ", .drop = 5 },
		[F_OPEN] = { .sep = "  ", .drop = 2 },
	};
	char eta[32];
	size_t limit = width > 0 ? width - 1 : (size_t)-1, n = 0;
	bool first = true;

	snprintf(f[F_WINDOW].text, sizeof f[F_WINDOW].text, "window %" PRIu64 "/%" PRIu64,
		 v->window + 1, v->windows);
	f[F_WINDOW].shown = v->windows > 0;
	snprintf(f[F_DONE].text, sizeof f[F_DONE].text, "%" PRIu64 "/%" PRIu64, v->done, v->total);
	snprintf(f[F_PCT].text, sizeof f[F_PCT].text, "(%.1f%%)",
		 v->total ? 100.0 * (double)v->done / (double)v->total : 100.0);
	snprintf(f[F_RATE].text, sizeof f[F_RATE].text, "%.0f/s", v->rate);
	format_eta(eta, sizeof eta, statusline_eta_s(v));
	snprintf(f[F_ETA].text, sizeof f[F_ETA].text, "ETA %s%s", eta,
		 v->windows > 0 ? " (window)" : "");
	snprintf(f[F_OPEN].text, sizeof f[F_OPEN].text, "open %" PRIu64, v->open);
	for (int i = F_DONE; i < NFIELDS; i++)
		f[i].shown = true;
	for (int drop = 1; drop <= 5 && fields_width(f) > limit; drop++)
		for (int i = 0; i < NFIELDS; i++)
			if (f[i].drop == drop)
				f[i].shown = false;
	buf[0] = '\0';
	for (int i = 0; i < NFIELDS; i++) {
		if (!f[i].shown)
			continue;
		/* Plain ASCII: a byte is a column. */
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      first ? "" : f[i].sep, f[i].text);
		first = false;
		if (n >= len)
			n = len - 1;
	}
	if (n > limit) {
		n = limit;
		buf[n] = '\0';
	}
	return n;
}

/* The lock is held. */
static void erase(struct statusline *sl)
{
	if (!sl->drawn)
		return;
	fputs("\r\033[K", sl->fp);
	fflush(sl->fp);
	sl->drawn = false;
}

/* Whether a row written to a pipe has surely reached the terminal by now,
 * if it was going there: the lock is held. */
static bool rows_settled(const struct statusline *sl)
{
	if (sl->row_fd < 0)
		return true;
	if (mono_ms() - sl->row_ms < ROW_QUIET_MS)
		return false;
#ifdef FIONREAD
	if (sl->row_share == SHARE_PIPE) {
		int unread = 0;

		/* Linux answers for either end of a pipe; where it does not,
		 * the quiet time alone must do. */
		if (ioctl(sl->row_fd, FIONREAD, &unread) == 0 && unread > 0)
			return false;
	}
#endif
	return true;
}

/* The lock is held. */
static void draw(struct statusline *sl)
{
	/* Positions a discovering scan skipped are done too. */
	uint64_t probes = atomic_load_explicit(&sl->m->probes, memory_order_relaxed) +
			  atomic_load_explicit(&sl->m->skipped, memory_order_relaxed);
	double t = (double)(mono_ms() - sl->t0_ms) / 1000.0;
	struct statusline_view v = {
		.open = atomic_load_explicit(&sl->m->state[STATE_OPEN], memory_order_relaxed),
		/* With windows, done and total are the window's. */
		.done = sl->windows > 0 && probes >= sl->wbase ? probes - sl->wbase : probes,
		.total = sl->total,
		.window = sl->window,
		.windows = sl->windows,
		.rate = t > 0 && probes > sl->base ? (double)(probes - sl->base) / t : 0,
		.detecting = atomic_load_explicit(&sl->m->detecting, memory_order_relaxed),
		.detect_left_ms = metrics_detect_left_ms(sl->m),
	};
	char text[256];

	statusline_format(text, sizeof text, &v, term_width(sl));
	/* \r and erase-line: the line is rewritten in place, never scrolled. */
	fprintf(sl->fp, "\r\033[K%s", text);
	fflush(sl->fp);
	sl->drawn = true;
}

static void *statusline_main(void *arg)
{
	struct statusline *sl = arg;
	struct timespec next;

	pthread_mutex_lock(&sl->lock);
	while (!sl->stop) {
		clock_gettime(CLOCK_REALTIME, &next);
		next.tv_nsec += REDRAW_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&sl->wake, &sl->lock, &next) == ETIMEDOUT && !sl->stop &&
		    !sl->held && rows_settled(sl))
			draw(sl);
	}
	erase(sl);
	pthread_mutex_unlock(&sl->lock);
	return NULL;
}

struct statusline *statusline_start(struct metrics *m, uint64_t total, uint64_t base, FILE *fp)
{
	struct statusline *sl;
	struct stat st;

	if (!isatty(fileno(fp)) || fstat(fileno(fp), &st) != 0)
		return NULL;
	sl = calloc(1, sizeof(*sl));
	if (sl == NULL)
		return NULL;
	sl->m = m;
	sl->total = total;
	sl->base = base;
	sl->fp = fp;
	sl->rdev = st.st_rdev;
	sl->env_columns = env_columns();
	sl->row_fd = -1;
	sl->known_fd = -1;
	sl->t0_ms = mono_ms();
	pthread_mutex_init(&sl->lock, NULL);
	pthread_cond_init(&sl->wake, NULL);
	if (pthread_create(&sl->thread, NULL, statusline_main, sl) != 0) {
		pthread_mutex_destroy(&sl->lock);
		pthread_cond_destroy(&sl->wake);
		free(sl);
		return NULL;
	}
	return sl;
}

void statusline_window(struct statusline *sl, uint64_t index, uint64_t count,
		       uint64_t total, uint64_t base)
{
	if (sl == NULL)
		return;
	pthread_mutex_lock(&sl->lock);
	sl->window = index;
	sl->windows = count;
	sl->total = total;
	sl->wbase = base;
	pthread_mutex_unlock(&sl->lock);
}

/* Whether rows to fd can end up on the line's terminal; only the row
 * writer's thread calls it, so its one-entry cache needs no lock. */
static enum share row_share(struct statusline *sl, int fd)
{
	struct stat st;

	if (fd == sl->known_fd)
		return sl->known_share;
	sl->known_fd = fd;
	sl->known_share = SHARE_NONE;
	if (fd < 0 || fstat(fd, &st) != 0)
		return SHARE_NONE;
	if (S_ISCHR(st.st_mode) && st.st_rdev == sl->rdev && isatty(fd))
		sl->known_share = SHARE_TERMINAL;
	else if (S_ISFIFO(st.st_mode))
		sl->known_share = SHARE_PIPE;
	else if (S_ISSOCK(st.st_mode))
		sl->known_share = SHARE_SOCKET;
	return sl->known_share;
}

void statusline_row_begin(struct statusline *sl, FILE *out)
{
	if (sl == NULL || row_share(sl, fileno(out)) == SHARE_NONE)
		return;
	pthread_mutex_lock(&sl->lock);
	sl->held = true;
	erase(sl);
	pthread_mutex_unlock(&sl->lock);
}

void statusline_row_end(struct statusline *sl, FILE *out)
{
	int fd;
	enum share share;

	if (sl == NULL)
		return;
	fd = fileno(out);
	share = row_share(sl, fd);
	if (share == SHARE_NONE)
		return;
	pthread_mutex_lock(&sl->lock);
	sl->held = false;
	/* On the terminal itself the row is there already, ahead of any
	 * redraw; through a pipe it is on its way. */
	if (share != SHARE_TERMINAL) {
		sl->row_fd = fd;
		sl->row_share = share;
		sl->row_ms = mono_ms();
	}
	pthread_mutex_unlock(&sl->lock);
}

void statusline_stop(struct statusline *sl)
{
	if (sl == NULL)
		return;
	pthread_mutex_lock(&sl->lock);
	sl->stop = true;
	pthread_cond_signal(&sl->wake);
	pthread_mutex_unlock(&sl->lock);
	pthread_join(sl->thread, NULL);
	pthread_mutex_destroy(&sl->lock);
	pthread_cond_destroy(&sl->wake);
	free(sl);
}
