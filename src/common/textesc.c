/* textesc.c: escaping of untrusted bytes for JSON, CSV, XML and the terminal.
 *
 * Host names, reverse DNS names and banners come off the network, so a writer
 * may be handed any bytes at all. Everything here starts from one strict UTF-8
 * decoder (GLib's): a byte that does not begin a well-formed sequence (Unicode
 * table 3-7: no overlongs, no surrogates, nothing above U+10FFFF, nothing
 * truncated) is replaced on its own and decoding resumes at the very next
 * byte, so one bad byte never swallows the good text after it. Each output
 * form is then valid UTF-8 whatever the input was. The banner form alone
 * decodes nothing: it shows every byte outside printable ASCII as \xNN. */
#include "textesc.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char REPLACEMENT[] = "\xEF\xBF\xBD";

/* Length of the well-formed UTF-8 sequence at s (1 to 4) and its code point in
 * *cp, or 0 when the byte at s does not start one. GLib's decoder is as strict
 * as table 3-7 asks (no overlongs, surrogates, code points above U+10FFFF or
 * truncated sequences) but refuses U+0000, which is well formed: ASCII,
 * NUL included, is taken here before it. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	gunichar c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	c = g_utf8_get_char_validated((const char *)s, (gssize)len);
	if (c == (gunichar)-1 || c == (gunichar)-2)
		return 0;
	*cp = c;
	return (size_t)g_utf8_skip[s[0]];
}

static int put(FILE *fp, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	return fwrite(p, 1, n, fp) == n ? 0 : -1;
}

/* JSON allows these raw but they are still control characters (C1), or line
 * breaks to JavaScript before ES2019 (U+2028, U+2029); escaping them keeps a
 * JSON line one visible line and safe to embed. */
static bool json_must_escape(uint32_t cp)
{
	return cp < 0x20 || cp == '"' || cp == '\\' || cp == 0x7F ||
	       (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

int json_write_string(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p;
	size_t run = 0;   /* start of the pending run of bytes copied as they are */
	size_t i = 0;

	p = (const unsigned char *)(s != NULL ? s : "");
	if (fputc('"', fp) == EOF)
		return -1;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		char esc[12];     /* room for any code point, not only the ones escaped */
		const char *out;
		size_t outlen;

		if (n > 0 && !json_must_escape(cp)) {
			i += n;
			continue;
		}
		if (n == 0) {
			out = "\\ufffd";
			outlen = 6;
			n = 1;
		} else {
			out = esc;
			switch (cp) {
			case '"':  out = "\\\""; break;
			case '\\': out = "\\\\"; break;
			case '\b': out = "\\b"; break;
			case '\f': out = "\\f"; break;
			case '\n': out = "\\n"; break;
			case '\r': out = "\\r"; break;
			case '\t': out = "\\t"; break;
			default:
				snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
				break;
			}
			outlen = strlen(out);
		}
		if (put(fp, p + run, i - run) < 0 || put(fp, out, outlen) < 0)
			return -1;
		i += n;
		run = i;
	}
	if (put(fp, p + run, i - run) < 0 || fputc('"', fp) == EOF)
		return -1;
	return 0;
}

/* What a CSV field keeps: TAB, CR and LF (quoted) and printable text. Other C0
 * controls, DEL and C1 controls only garble spreadsheets and terminals. */
static bool csv_keeps(uint32_t cp)
{
	if (cp == '\t' || cp == '\r' || cp == '\n')
		return true;
	return !(cp < 0x20 || (cp >= 0x7F && cp <= 0x9F));
}

/* Does the field start like a formula? Spreadsheets evaluate a cell that
 * begins with =, +, - or @ (and some after a leading TAB, CR or LF); some
 * locales of Excel also take the fullwidth forms U+FF1D, U+FF0B, U+FF0D and
 * U+FF20. The check runs on the raw bytes: a leading invalid byte turns into
 * U+FFFD, which is harmless. */
static bool csv_formula_start(const unsigned char *p, size_t len)
{
	if (len == 0)
		return false;
	switch (p[0]) {
	case '=': case '+': case '-': case '@':
	case '\t': case '\r': case '\n':
		return true;
	}
	return len >= 3 && p[0] == 0xEF && p[1] == 0xBC &&
	       (p[2] == 0x9D || p[2] == 0x8B || p[2] == 0x8D || p[2] == 0xA0);
}

int csv_write_field(FILE *fp, const char *s, size_t len, int text)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	bool prefix = text && csv_formula_start(p, len);
	bool quote = prefix;
	size_t run = 0;
	size_t i = 0;

	if (len > 0 && (p[0] == ' ' || p[0] == '\t' || p[len - 1] == ' ' ||
			p[len - 1] == '\t'))
		quote = true;  /* readers trim unquoted blanks */
	for (size_t k = 0; k < len && !quote; k++)
		if (p[k] == ',' || p[k] == '"' || p[k] == '\r' || p[k] == '\n')
			quote = true;

	if (quote && fputc('"', fp) == EOF)
		return -1;
	if (prefix && fputc('\'', fp) == EOF)
		return -1;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		const char *out;
		size_t outlen;

		if (n > 0 && cp != '"' && csv_keeps(cp)) {
			i += n;
			continue;
		}
		if (n > 0 && cp == '"') {
			out = "\"\"";
			outlen = 2;
		} else {
			out = REPLACEMENT;
			outlen = 3;
			if (n == 0)
				n = 1;
		}
		if (put(fp, p + run, i - run) < 0 || put(fp, out, outlen) < 0)
			return -1;
		i += n;
		run = i;
	}
	if (put(fp, p + run, i - run) < 0)
		return -1;
	if (quote && fputc('"', fp) == EOF)
		return -1;
	return 0;
}

/* What XML attribute text shows for cp: an entity or character reference, or
 * U+FFFD for what XML 1.0 cannot carry (NUL, C0 controls but TAB, CR and LF,
 * U+FFFE, U+FFFF) or only garbles readers (DEL, C1); NULL: cp as it is. TAB,
 * CR and LF are references because attribute normalisation would turn them
 * into spaces. */
static const char *xml_replacement(uint32_t cp)
{
	switch (cp) {
	case '&':  return "&amp;";
	case '<':  return "&lt;";
	case '>':  return "&gt;";
	case '"':  return "&quot;";
	case '\'': return "&apos;";
	case '\t': return "&#9;";
	case '\n': return "&#10;";
	case '\r': return "&#13;";
	}
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF)
		return REPLACEMENT;
	return NULL;
}

int xml_write_text(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t run = 0;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		const char *out = REPLACEMENT;

		if (n == 0)
			n = 1;
		else if ((out = xml_replacement(cp)) == NULL) {
			i += n;
			continue;
		}
		if (put(fp, p + run, i - run) < 0 || fputs(out, fp) == EOF)
			return -1;
		i += n;
		run = i;
	}
	return put(fp, p + run, i - run);
}

/* Printable for a terminal: no controls (C0, DEL, C1), no format characters
 * such as bidi overrides or zero-width joiners that could disguise a name, and
 * no line or paragraph separators. */
static bool terminal_printable(uint32_t cp)
{
	GUnicodeType t;

	if (cp < 0x80)
		return cp >= 0x20 && cp < 0x7F;
	if (!g_unichar_isprint(cp))
		return false;
	t = g_unichar_type(cp);
	return t != G_UNICODE_LINE_SEPARATOR && t != G_UNICODE_PARAGRAPH_SEPARATOR;
}

/* The two printable forms: text_printable's (UTF-8 text kept where it is
 * printable) and the banner's (ASCII only, with C's short escapes). */
enum printable_form { FORM_TEXT, FORM_BANNER };

/* \xNN for each of the n bytes at p, into o; returns the output bytes. */
static size_t hex_bytes(const unsigned char *p, size_t n, char *o)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		o[k++] = '\\';
		o[k++] = 'x';
		o[k++] = hex[p[i] >> 4];
		o[k++] = hex[p[i] & 0x0F];
	}
	return k;
}

/* The banner form of the byte c into o: printable ASCII as it is, \r \n \t
 * \\ in short form, anything else as \xNN. Returns the output bytes. */
static size_t banner_step(unsigned char c, char *o)
{
	char letter = 0;

	switch (c) {
	case '\r': letter = 'r'; break;
	case '\n': letter = 'n'; break;
	case '\t': letter = 't'; break;
	case '\\': letter = '\\'; break;
	}
	if (letter != 0) {
		o[0] = '\\';
		o[1] = letter;
		return 2;
	}
	if (c >= 0x20 && c < 0x7F) {
		o[0] = (char)c;
		return 1;
	}
	return hex_bytes(&c, 1, o);
}

/* Writes the printable form of the sequence at p to o, at most 16 bytes.
 * Sets *used to the input bytes it took; returns the output bytes. */
static size_t printable_step(enum printable_form form, const unsigned char *p, size_t len,
			     char *o, size_t *used)
{
	uint32_t cp;
	size_t n;

	if (form == FORM_BANNER) {
		*used = 1;
		return banner_step(p[0], o);
	}
	n = utf8_decode(p, len, &cp);
	if (n > 0 && cp == '\\') {
		*used = 1;
		o[0] = '\\';
		o[1] = '\\';
		return 2;
	}
	if (n > 0 && terminal_printable(cp)) {
		*used = n;
		memcpy(o, p, n);
		return n;
	}
	/* Every byte of the sequence escaped, so the shown bytes are exactly
	 * the received ones. */
	if (n == 0)
		n = 1;
	*used = n;
	return hex_bytes(p, n, o);
}

/* The printable form of at most max bytes of s (g_free), or NULL when out of
 * memory. */
static char *printable(enum printable_form form, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	char *out, *o;
	size_t i = 0;

	if (len > max)
		len = max;
	/* Every input byte becomes at most four output bytes ("\xNN"). */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = g_try_malloc(len * 4 + 1);
	if (out == NULL)
		return NULL;
	o = out;
	while (i < len) {
		size_t used;

		o += printable_step(form, p + i, len - i, o, &used);
		i += used;
	}
	*o = '\0';
	return out;
}

char *text_printable(const char *s, size_t len)
{
	return printable(FORM_TEXT, s, len, SIZE_MAX);
}

char *text_banner(const void *data, size_t len, size_t max_bytes)
{
	return printable(FORM_BANNER, data, len, max_bytes);
}

void shell_quote_append(GString *cmd, const char *word)
{
	static const char plain[] = "%+,-./:=@_";
	bool quote = word[0] == '\0';

	for (const char *c = word; *c != '\0' && !quote; c++)
		quote = !g_ascii_isalnum(*c) && strchr(plain, *c) == NULL;
	if (!quote) {
		g_string_append(cmd, word);
		return;
	}
	g_string_append_c(cmd, '\'');
	for (const char *c = word; *c != '\0'; c++) {
		if (*c == '\'')
			g_string_append(cmd, "'\\''");
		else
			g_string_append_c(cmd, *c);
	}
	g_string_append_c(cmd, '\'');
}

const char *text_quote(char *buf, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), i = 0, o = 0;
	char step[16];

	while (i < len) {
		size_t used, k = printable_step(FORM_TEXT, p + i, len - i, step, &used);

		if (o + k > TEXT_QUOTE_MAX)
			break;
		memcpy(buf + o, step, k);
		o += k;
		i += used;
	}
	if (i < len)
		/* The whole length tells the reader how much was cut. */
		o += (size_t)g_snprintf(buf + o, TEXT_QUOTE_SIZE - o, "...(%zu bytes)", len);
	buf[o] = '\0';
	return buf;
}
