/* starttls.c: the STARTTLS dialogues (starttls.h).
 *
 * The dialogues themselves arrive with issue 17's STARTTLS work; until then
 * every service says STARTTLS_UNSUPPORTED, and detection goes on without. */
#include "starttls.h"

#include <string.h>

static const struct {
	const char *service;
	const char *dialogue;
} services[] = {
	{ "smtp", "smtp" },
	{ "submission", "smtp" },
	{ "imap", "imap" },
	{ "pop3", "pop3" },
	{ "ftp", "ftp" },
	{ "ldap", "ldap" },
	{ "postgresql", "postgresql" },
	{ "xmpp", "xmpp" },
	{ "xmpp-client", "xmpp" },
};

const char *starttls_dialogue(const char *service)
{
	if (service == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
		if (strcmp(service, services[i].service) == 0)
			return services[i].dialogue;
	return NULL;
}

enum starttls_status starttls_upgrade(int fd, const char *service, const char *host,
				      int64_t deadline)
{
	(void)fd;
	(void)host;
	(void)deadline;
	return starttls_dialogue(service) == NULL ? STARTTLS_UNSUPPORTED : STARTTLS_FAILED;
}
