/* findings.c: the findings file and the counts behind the summary line and
 * the exit code.
 *
 * A finding is a record kind of its own (its fields below), written by the
 * results writers' CSV, JSON document and JSON Lines formats (writer.h's
 * record_ops) into a file opened by outfile.h: one record per finding,
 * flushed at once, so the file is valid up to its last complete record at
 * any time (the JSON document is a valid prefix until close writes its
 * trailer). Text goes through textesc.h there, so a host name or a detected
 * product off the network cannot break a row or smuggle a spreadsheet
 * formula. */
#include "findings.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "errors.h"
#include "outfile.h"
#include "textesc.h"
#include "writer.h"

/* The findings document's layout version; bump it when a key changes. */
#define FINDINGS_FORMAT 1

static const char *const kind_names[FINDING_KIND_COUNT] = {
	[FINDING_UNEXPECTED_OPEN] = "unexpected-open",
	[FINDING_REQUIRED_NOT_OPEN] = "required-not-open",
	[FINDING_REQUIRED_UNCONFIRMED] = "required-open-filtered",
	[FINDING_UNEXPECTED_SERVICE] = "unexpected-service",
	[FINDING_NEWLY_OPEN] = "newly-open",
	[FINDING_NEWLY_CLOSED] = "newly-closed",
	[FINDING_NEWLY_FILTERED] = "newly-filtered",
	[FINDING_CHANGED_SERVICE] = "changed-service",
	[FINDING_CHANGED_PRODUCT] = "changed-product",
	[FINDING_CHANGED_VERSION] = "changed-version",
	[FINDING_TARGET_NOT_SCANNED] = "target-not-scanned",
	[FINDING_HOST_DOWN] = "host-down",
	[FINDING_NEWLY_UP] = "newly-up",
	[FINDING_NEWLY_DOWN] = "newly-down",
	[FINDING_TLS_VERSION] = "tls-version",
	[FINDING_CERT_EXPIRED] = "cert-expired",
	[FINDING_CERT_EXPIRING] = "cert-expiring",
	[FINDING_CERT_SELF_SIGNED] = "cert-self-signed",
	[FINDING_CERT_UNVERIFIED] = "cert-unverified",
	[FINDING_WEAK_KEY] = "weak-key",
	[FINDING_WEAK_SIGNATURE] = "weak-signature",
	[FINDING_SAN_MISSING] = "san-missing",
	[FINDING_CERT_CHANGED] = "cert-changed",
};

/* The record's fields, in order: the CSV header and the JSON keys. */
static const char *const field_names[] = {
	"kind", "ip", "host", "port", "proto", "expected", "found", "group",
};
#define NFIELDS (sizeof(field_names) / sizeof(field_names[0]))

struct findings {
	uint64_t counts[FINDING_KIND_COUNT];
	char *path;              /* NULL: count only */
	const struct record_ops *ops;    /* the format's, from the writers' table */
	struct outfile *file;    /* open from findings_open to findings_close */
	void *state;             /* the writer's */
	bool failed;             /* a write failed: no more writes */
};

bool finding_is_host(enum finding_kind k)
{
	return k == FINDING_HOST_DOWN || k == FINDING_NEWLY_UP || k == FINDING_NEWLY_DOWN;
}

const char *finding_kind_name(enum finding_kind k)
{
	if ((unsigned)k >= FINDING_KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

/* ---- a finding as a record the writers write ---- */

static size_t field_count(void)
{
	return NFIELDS;
}

static const char *field_name(size_t i)
{
	return i < NFIELDS ? field_names[i] : "";
}

static void str_value(struct field_value *v, const char *s)
{
	*v = (struct field_value){ .kind = FIELD_STR, .str = s, .len = s != NULL ? strlen(s) : 0 };
}

static void field_get(const void *rec, size_t i, struct field_value *v, char *scratch,
		      size_t scratch_len)
{
	const struct finding *fd = rec;

	switch (i) {
	case 0:
		str_value(v, finding_kind_name(fd->kind));
		break;
	case 1:
		/* A target not scanned has no address and no port. */
		scratch[0] = '\0';
		if (fd->addr != NULL)
			pl_addr_format(fd->addr, scratch, scratch_len);
		str_value(v, scratch);
		break;
	case 2:
		str_value(v, fd->host);
		break;
	case 3:
		*v = (struct field_value){ .kind = fd->port != 0 ? FIELD_INT : FIELD_NULL,
					   .i = fd->port };
		break;
	case 4:
		/* A host's finding is about no protocol. */
		if (finding_is_host(fd->kind))
			*v = (struct field_value){ .kind = FIELD_NULL };
		else
			str_value(v, fd->proto == PROTO_UDP ? "udp" : "tcp");
		break;
	case 5:
		str_value(v, fd->expected);
		break;
	case 6:
		str_value(v, fd->found);
		break;
	default:
		str_value(v, fd->group);
		break;
	}
}

/* The JSON document's summary: the counts by kind and the total. */
static int put_summary(FILE *fp, const void *ctx)
{
	const struct findings *f = ctx;

	if (fputc('{', fp) == EOF)
		return -1;
	for (int k = 0; k < FINDING_KIND_COUNT; k++)
		if (json_write_string(fp, kind_names[k], strlen(kind_names[k])) < 0 ||
		    fprintf(fp, ":%" PRIu64 ",", f->counts[k]) < 0)
			return -1;
	return fprintf(fp, "\"total\":%" PRIu64 "}", findings_total(f)) < 0 ? -1 : 0;
}

static const struct field_set finding_fields = {
	.count = field_count, .name = field_name, .get = field_get,
};

static const struct record_kind finding_record = {
	.array = "findings",
	.format = FINDINGS_FORMAT,
	.fields = &finding_fields,
	.summary = put_summary,
};

struct findings *findings_new(const char *path, GError **err)
{
	struct findings *f = g_new0(struct findings, 1);

	if (path != NULL) {
		const struct writer_ops *w = writer_for_filename(path);

		if (w == NULL || w->records == NULL) {
			char *choice = writer_extension_choice(true);

			g_set_error(err, PL_ERROR, PL_ERROR_USAGE,
				    "cannot tell the format of findings '%s': name it %s", path,
				    choice);
			g_free(choice);
			g_free(f);
			return NULL;
		}
		f->ops = w->records;
		f->path = g_strdup(path);
	}
	return f;
}

static void set_write_error(struct findings *f, int e, GError **err)
{
	f->failed = true;
	outfile_cut(f->file);
	g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s", f->path,
		    g_strerror(e != 0 ? e : EIO));
}

/* Frees the writer's state without writing anything more. */
static void drop_state(struct findings *f)
{
	if (f->state != NULL)
		(void)f->ops->close(f->state, NULL, NULL);
	f->state = NULL;
}

/* ---- the whole ---- */

int findings_open(struct findings *f, GError **err)
{
	if (f->path == NULL)
		return 0;
	/* Created exclusively first: a file we made is removed again when the
	 * scan gives up before it starts. */
	f->file = outfile_open(f->path, 0, 0644);
	if (f->file == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s",
			    f->path, g_strerror(errno));
		return -1;
	}
	errno = 0;
	if (outfile_truncate(f->file) != 0 ||
	    (f->state = f->ops->open(outfile_fp(f->file), &finding_record)) == NULL) {
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s",
			    f->path, g_strerror(errno ? errno : EIO));
		findings_discard(f);
		return -1;
	}
	outfile_mark(f->file);
	return 0;
}

int findings_add(struct findings *f, const struct finding *fd, GError **err)
{
	if ((unsigned)fd->kind < FINDING_KIND_COUNT)
		f->counts[fd->kind]++;
	if (f->state == NULL || f->failed)
		return 0;
	errno = 0;
	if (f->ops->write(f->state, outfile_fp(f->file), fd) != 0) {
		set_write_error(f, errno, err);
		return -1;
	}
	outfile_mark(f->file);
	return 0;
}

uint64_t findings_count(const struct findings *f, enum finding_kind k)
{
	return (unsigned)k < FINDING_KIND_COUNT ? f->counts[k] : 0;
}

uint64_t findings_total(const struct findings *f)
{
	uint64_t n = 0;

	for (int k = 0; k < FINDING_KIND_COUNT; k++)
		n += f->counts[k];
	return n;
}

void findings_print_summary(const struct findings *f, FILE *fp)
{
	uint64_t total = findings_total(f);
	const char *sep = ": ";

	if (total == 0) {
		fputs("portolan: audit: no findings\n", fp);
		return;
	}
	fprintf(fp, "portolan: audit: %" PRIu64 " finding%s", total, total == 1 ? "" : "s");
	for (int k = 0; k < FINDING_KIND_COUNT; k++) {
		if (f->counts[k] == 0)
			continue;
		fprintf(fp, "%s%" PRIu64 " %s", sep, f->counts[k], kind_names[k]);
		sep = ", ";
	}
	if (f->path != NULL)
		fprintf(fp, " (in %s)", f->path);
	fputc('\n', fp);
}

int findings_close(struct findings *f, GError **err)
{
	int rc = 0;

	if (f->file == NULL)
		return 0;
	errno = 0;
	if (f->failed)
		drop_state(f);
	else if (f->ops->close(f->state, outfile_fp(f->file), f) != 0) {
		set_write_error(f, errno, err);
		rc = -1;
	}
	f->state = NULL;
	if (outfile_close(f->file) != 0 && rc == 0 && !f->failed) {
		f->failed = true;
		g_set_error(err, PL_ERROR, PL_ERROR_RUNTIME, "cannot write findings '%s': %s",
			    f->path, g_strerror(errno ? errno : EIO));
		rc = -1;
	}
	f->file = NULL;
	return rc;
}


void findings_discard(struct findings *f)
{
	drop_state(f);
	outfile_discard(f->file);
	f->file = NULL;
}

void findings_free(struct findings *f)
{
	if (f == NULL)
		return;
	drop_state(f);
	(void)outfile_close(f->file);
	g_free(f->path);
	g_free(f);
}
