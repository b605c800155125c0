/* jsonread.h: a strict streaming JSON reader (RFC 8259).
 *
 * For documents too large to hold as a tree (a baseline written with
 * --states all can hold millions of rows): the caller walks the document
 * value by value and keeps only what it needs, so memory stays bounded by a
 * fixed read buffer plus the longest string. Everything read is validated:
 * syntax, UTF-8, escapes (a \u surrogate must come in a pair), nesting
 * depth and string length. A UTF-8 byte-order mark at the very start is
 * skipped (RFC 8259, 8.1).
 *
 * Errors: the first problem stops the reader and is set in the GError given
 * to json_reader_new (PL_ERROR_USAGE) as one line "name:line:col: what", with
 * columns counted in characters; a read error is "name: cannot read: why".
 * After a failure every read returns false (or -1) and sets nothing more. */
#ifndef PORTOLAN_JSONREAD_H
#define PORTOLAN_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <glib.h>

/* Limits: nothing a portolan document needs comes near them. */
#define JSON_STRING_MAX (1024 * 1024)  /* bytes of a decoded string */
#define JSON_DEPTH_MAX 64              /* objects and arrays open at once */
#define JSON_NUMBER_MAX 63             /* characters of a number */

struct json_reader;

/* A place in the input, for messages: 1-based line and column. */
struct json_pos {
	unsigned long line, col;
};

/* Reads fp from its current position; `name` stands for it in messages.
 * fp, name and err are borrowed and must outlive the reader; the caller
 * closes fp. */
struct json_reader *json_reader_new(FILE *fp, const char *name, GError **err);
void json_reader_free(struct json_reader *rd);

/* Whether the reader has failed (its error is set). */
bool json_failed(const struct json_reader *rd);

/* The next byte, not consumed, or -1 at the end of the input or after a
 * failure. json_skip_ws() first to look past white space. */
int json_peek(struct json_reader *rd);
void json_skip_ws(struct json_reader *rd);

/* Where the next byte is. */
struct json_pos json_here(const struct json_reader *rd);

/* Stops the reader with a message at `at` (or at the next byte); only the
 * first problem is kept. */
void json_fail_at(struct json_reader *rd, struct json_pos at, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
void json_fail(struct json_reader *rd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Names a byte c from json_peek() for a message: "'x'", "byte 0x01" or
 * "end of file". buf holds 16 bytes at least; returns buf or a constant. */
const char *json_describe(int c, char *buf, size_t len);

/* Objects and arrays open at this point (0 outside any). */
int json_depth(const struct json_reader *rd);

/* A string, after white space. *s points to its decoded bytes (UTF-8, NUL-
 * terminated; \u0000 can put a NUL inside, so use *len), valid until the
 * next read. len may be NULL. */
bool json_read_string(struct json_reader *rd, const char **s, size_t *len);

/* A number at the next byte. *integer tells whether it had neither fraction
 * nor exponent and fits a gint64; *value holds it then. */
bool json_read_number(struct json_reader *rd, bool *integer, gint64 *value);
/* A number at the next byte as a double (any JSON number; one beyond a
 * double's range is an infinity). */
bool json_read_real(struct json_reader *rd, double *value);

/* The literal lit ("true", "false" or "null") at the next byte. */
bool json_read_literal(struct json_reader *rd, const char *lit);

/* Called for each member of an object with its key (valid for the call) and
 * the reader at the member's value, after white space; returns false to
 * stop (after json_fail, or on a failed read). */
typedef bool (*json_member_fn)(struct json_reader *rd, const char *key, void *ud);
/* Called for each element of an array, the reader at the element. */
typedef bool (*json_element_fn)(struct json_reader *rd, void *ud);

/* An object (an array) at the next byte, after white space: calls member
 * (element) for each of its members (elements), or skips their values when
 * it is NULL. */
bool json_read_object(struct json_reader *rd, json_member_fn member, void *ud);
bool json_read_array(struct json_reader *rd, json_element_fn element, void *ud);

/* Any value at the next byte, after white space, read and dropped. */
bool json_skip_value(struct json_reader *rd);

#endif
