/* hosts-ns.c: runs a command with a hosts file of the test's choosing, so no
 * test depends on the machine's /etc/hosts, nsswitch.conf or DNS.
 *
 * Usage: hosts-ns HOSTS_FILE COMMAND [ARG]...
 *
 * In a private mount namespace (and, when not root, a user namespace that
 * maps the caller's own uid and gid to themselves, so files the command
 * creates are still the caller's) it bind-mounts HOSTS_FILE over /etc/hosts
 * and a copy of /etc/nsswitch.conf whose only "hosts:" source is "files"
 * over /etc/nsswitch.conf: names and addresses come from HOSTS_FILE alone
 * (no DNS, no mDNS, no systemd "myhostname" synthesis), and an unknown name
 * fails at once, locally. An nscd socket, if any, is hidden so that glibc
 * does not answer from nscd's cache of the real file. Nothing outside the
 * command's namespace changes; the namespace ends with the command.
 *
 * The command runs with PL_HOSTS_NS=HOSTS_FILE in its environment, so a
 * test can tell that it runs under this helper.
 *
 * Exit status: the command's; 77 (the tests' "skipped") when the namespace
 * cannot be set up (not Linux, user namespaces disabled), with one line on
 * stderr saying why; 2 on usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SKIP 77

#if defined(__linux__)
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Maps the caller's uid and gid to themselves in a new user namespace. The
 * process keeps every capability inside it until it execs the command. */
static int enter_user_ns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == -1)
		return -1;
	if (write_file("/proc/self/setgroups", "deny") == -1 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof(map), "%lu %lu 1\n", (unsigned long)uid, (unsigned long)uid);
	if (write_file("/proc/self/uid_map", map) == -1)
		return -1;
	snprintf(map, sizeof(map), "%lu %lu 1\n", (unsigned long)gid, (unsigned long)gid);
	return write_file("/proc/self/gid_map", map);
}

/* A copy of /etc/nsswitch.conf with "hosts: files"; its path in tmpl. The
 * other databases (passwd, group, ...) stay as the machine has them. */
static int make_nsswitch(char *tmpl)
{
	FILE *in = fopen("/etc/nsswitch.conf", "r"), *out;
	char line[1024];
	int fd = mkstemp(tmpl);

	if (fd == -1 || (out = fdopen(fd, "w")) == NULL) {
		if (in != NULL)
			fclose(in);
		return -1;
	}
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line + strspn(line, " \t"), "hosts:", 6) != 0)
			fputs(line, out);
	}
	fputs("hosts: files\n", out);
	if (in != NULL)
		fclose(in);
	return fclose(out) == 0 ? 0 : -1;
}

static int setup(const char *hosts)
{
	char nss[] = "/tmp/hosts-ns-nsswitch.XXXXXX";
	char empty[] = "/tmp/hosts-ns-empty.XXXXXX";
	const char *what = "a mount namespace";
	struct stat st;
	int rc = -1;

	if (geteuid() == 0 ? unshare(CLONE_NEWNS) : enter_user_ns())
		goto out;
	what = "making mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		goto out;
	what = "bind-mounting the hosts file over /etc/hosts";
	if (mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) == -1)
		goto out;
	what = "writing an nsswitch.conf";
	if (make_nsswitch(nss) == -1)
		goto out;
	/* Without /etc/nsswitch.conf glibc's default consults DNS first, so a
	 * missing file is not fatal only if there is nothing to mount over. */
	what = "bind-mounting /etc/nsswitch.conf";
	if (stat("/etc/nsswitch.conf", &st) == 0 &&
	    mount(nss, "/etc/nsswitch.conf", NULL, MS_BIND, NULL) == -1)
		goto out;
	what = "hiding nscd";
	if (stat("/var/run/nscd", &st) == 0 && S_ISDIR(st.st_mode) &&
	    (mkdtemp(empty) == NULL || mount(empty, "/var/run/nscd", NULL, MS_BIND, NULL) == -1))
		goto out;
	rc = 0;
out:
	if (rc == -1)
		fprintf(stderr, "hosts-ns: %s: %s\n", what, strerror(errno));
	if (strchr(nss, 'X') == NULL)
		unlink(nss);           /* the bind mount keeps it alive */
	if (strchr(empty, 'X') == NULL)
		rmdir(empty);
	return rc;
}
#else
static int setup(const char *hosts)
{
	(void)hosts;
	fprintf(stderr, "hosts-ns: needs Linux mount namespaces\n");
	return -1;
}
#endif

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: hosts-ns HOSTS_FILE COMMAND [ARG]...\n");
		return 2;
	}
	if (access(argv[1], R_OK) == -1) {
		fprintf(stderr, "hosts-ns: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (setup(argv[1]) == -1)
		return SKIP;
	if (setenv("PL_HOSTS_NS", argv[1], 1) == -1) {
		perror("hosts-ns: setenv");
		return SKIP;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "hosts-ns: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
