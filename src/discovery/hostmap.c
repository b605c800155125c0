/* hostmap.c: four bits of discovery state per host, in atomic words. */
#include "hostmap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <glib.h>

#define PER_WORD 8u

struct hostmap {
	uint64_t nhosts;
	_Atomic uint32_t *words;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned waiters;        /* under lock */
	atomic_bool cancelled;
};

/* The reasons a host is up for, as codes 3, 4, ...: result.h's reasons do
 * not all fit in four bits, but the up ones do. */
static const enum reason up_reasons[] = {
	REASON_SYN_ACK, REASON_CONN_REFUSED, REASON_RESET, REASON_LOCAL_ERROR,
	REASON_ECHO_REPLY, REASON_TIMESTAMP_REPLY, REASON_ARP_RESPONSE,
	REASON_ND_RESPONSE, REASON_USER_SET,
};
_Static_assert(HOST_UP + sizeof(up_reasons) / sizeof(up_reasons[0]) <= 16,
	       "up reasons do not fit in four bits");

static unsigned up_code(enum reason why)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(up_reasons); i++)
		if (up_reasons[i] == why)
			return HOST_UP + i;
	g_assert_not_reached();
	return HOST_UP;
}

struct hostmap *hostmap_new(uint64_t nhosts)
{
	struct hostmap *hm = g_new0(struct hostmap, 1);

	hm->nhosts = nhosts;
	/* calloc: zero pages until touched, so a sparse window costs little. */
	hm->words = g_new0(_Atomic uint32_t, (nhosts + PER_WORD - 1) / PER_WORD + 1);
	pthread_mutex_init(&hm->lock, NULL);
	pthread_cond_init(&hm->changed, NULL);
	atomic_init(&hm->cancelled, false);
	return hm;
}

void hostmap_free(struct hostmap *hm)
{
	if (hm == NULL)
		return;
	pthread_cond_destroy(&hm->changed);
	pthread_mutex_destroy(&hm->lock);
	g_free(hm->words);
	g_free(hm);
}

size_t hostmap_bytes(const struct hostmap *hm)
{
	return (size_t)((hm->nhosts + PER_WORD - 1) / PER_WORD) * sizeof(uint32_t);
}

uint64_t hostmap_hosts(const struct hostmap *hm)
{
	return hm->nhosts;
}

static unsigned code_of(const struct hostmap *hm, uint64_t host)
{
	uint32_t w = atomic_load_explicit(&hm->words[host / PER_WORD], memory_order_acquire);

	return (w >> (4 * (host % PER_WORD))) & 0xfu;
}

static enum host_state state_of(unsigned code, enum reason *why)
{
	if (code < HOST_UP)
		return (enum host_state)code;
	if (why != NULL)
		*why = up_reasons[code - HOST_UP];
	return HOST_UP;
}

enum host_state hostmap_get(const struct hostmap *hm, uint64_t host, enum reason *why)
{
	return state_of(code_of(hm, host), why);
}

/* Sets the host's code to code if its current one is at most below;
 * true when it did. */
static bool set_code(struct hostmap *hm, uint64_t host, unsigned below, unsigned code)
{
	_Atomic uint32_t *w = &hm->words[host / PER_WORD];
	unsigned shift = 4 * (host % PER_WORD);
	uint32_t old = atomic_load_explicit(w, memory_order_relaxed), new;

	do {
		if (((old >> shift) & 0xfu) > below)
			return false;
		new = (old & ~(0xfu << shift)) | ((uint32_t)code << shift);
	} while (!atomic_compare_exchange_weak_explicit(w, &old, new, memory_order_acq_rel,
							memory_order_relaxed));
	return true;
}

bool hostmap_claim(struct hostmap *hm, uint64_t host)
{
	return set_code(hm, host, HOST_UNSEEN, HOST_PENDING);
}

bool hostmap_resolve(struct hostmap *hm, uint64_t host, bool up, enum reason why)
{
	if (!set_code(hm, host, HOST_PENDING, up ? up_code(why) : HOST_DOWN))
		return false;
	/* Under the lock: a waiter between its check and its wait would
	 * otherwise miss this. */
	pthread_mutex_lock(&hm->lock);
	if (hm->waiters > 0)
		pthread_cond_broadcast(&hm->changed);
	pthread_mutex_unlock(&hm->lock);
	return true;
}

enum host_state hostmap_wait(struct hostmap *hm, uint64_t host, enum reason *why)
{
	unsigned code = code_of(hm, host);

	if (code >= HOST_DOWN)
		return state_of(code, why);
	pthread_mutex_lock(&hm->lock);
	hm->waiters++;
	while ((code = code_of(hm, host)) < HOST_DOWN && !atomic_load(&hm->cancelled))
		pthread_cond_wait(&hm->changed, &hm->lock);
	hm->waiters--;
	pthread_mutex_unlock(&hm->lock);
	return code < HOST_DOWN ? HOST_PENDING : state_of(code, why);
}

void hostmap_cancel(struct hostmap *hm)
{
	pthread_mutex_lock(&hm->lock);
	atomic_store(&hm->cancelled, true);
	pthread_cond_broadcast(&hm->changed);
	pthread_mutex_unlock(&hm->lock);
}
