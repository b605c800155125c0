/* textesc.h: escaping of untrusted bytes for each output format: the one
 * place that turns bytes off the network into text a reader can take.
 *
 * Text that reaches a writer may come off the network: any bytes at all, NUL
 * and invalid UTF-8 included. These functions always produce valid UTF-8.
 * UTF-8 is decoded strictly (no overlongs, surrogates, code points above
 * U+10FFFF or truncated sequences); each byte that does not start a valid
 * sequence is replaced on its own and decoding resumes at the next byte.
 * `s` may be NULL when `len` is 0. */
#ifndef PORTOLAN_TEXTESC_H
#define PORTOLAN_TEXTESC_H

#include <stdio.h>
#include <stddef.h>
#include <glib.h>

/* A JSON string literal, quotes included: " and \ escaped, \b \f \n \r \t in
 * short form, other C0 controls, DEL, C1 controls, U+2028 and U+2029 as
 * \u00XX / \u20XX, invalid UTF-8 bytes as \ufffd. Returns 0 or -1 on a stream
 * error. */
int json_write_string(FILE *fp, const char *s, size_t len);

/* One CSV field per RFC 4180. Quoted when it holds a comma, quote, CR or LF,
 * or begins or ends with a space or TAB; quotes doubled. When `text` is set
 * and the field begins with =, +, -, @, TAB, CR or LF (or the fullwidth
 * =, +, -, @), it is prefixed with a single quote, inside the quotes, so no
 * spreadsheet evaluates it as a formula. NUL and other control bytes except
 * TAB, CR and LF, DEL, C1 controls, and invalid UTF-8 bytes become U+FFFD.
 * Returns 0 or -1 on a stream error. */
int csv_write_field(FILE *fp, const char *s, size_t len, int text);

/* XML 1.0 attribute value text, without the quotes: & < > " ' as entity
 * references; TAB, CR and LF as character references (attribute
 * normalisation would make them spaces); NUL and the other C0 controls, DEL,
 * C1 controls, U+FFFE, U+FFFF (one U+FFFD for each character) and invalid
 * UTF-8 bytes (one for each byte) as U+FFFD. Returns 0 or -1 on a stream
 * error. */
int xml_write_text(FILE *fp, const char *s, size_t len);

/* For the terminal table: printable text only; backslash as \\, and control
 * characters, format characters (bidi overrides, zero-width), line separators
 * and invalid UTF-8 shown byte by byte as \xNN. Returns a newly allocated
 * string (g_free), or NULL when out of memory. */
char *text_printable(const char *s, size_t len);

/* The banner field: at most max_bytes of raw reply bytes, printable ASCII
 * kept, \r \n \t \\ in short form and every other byte as \xNN, UTF-8 or not,
 * so the field shows exactly the bytes received in plain ASCII. Returns a
 * newly allocated string (g_free), or NULL when out of memory. */
char *text_banner(const void *data, size_t len, size_t max_bytes);

/* Appends one word of a POSIX shell command line to cmd: as it is when it is
 * non-empty and holds only characters no shell treats specially
 * (A-Z a-z 0-9 and % + , - . / : = @ _), else in single quotes, each ' as
 * '\''. Pasted into sh, the word comes back byte for byte. */
void shell_quote_append(GString *cmd, const char *word);

/* What an error message shows of user input (an argument, a value, a spec):
 * text_printable()'s form of s, cut after at most TEXT_QUOTE_MAX bytes and
 * marked "...(N bytes)" with s's whole length, so a 120 KB port list cannot
 * become a 120 KB line. buf holds TEXT_QUOTE_SIZE bytes; returns buf, so a
 * call can be a printf argument. s may be NULL (shown as ""). */
#define TEXT_QUOTE_MAX 80
#define TEXT_QUOTE_SIZE 128
const char *text_quote(char *buf, const char *s);

#endif
