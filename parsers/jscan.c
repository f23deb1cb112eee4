/*
 * jscan.c: member-by-member scanning of a JSON object in a line (see
 * jscan.h).  Strings are skipped with memchr() to the next quote, so a
 * long value costs little; nested values are skipped by counting brackets
 * outside strings, without recursion, so no input can exhaust the stack.
 * It must never allocate and never read past the end it was given.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "jscan.h"

/* Skip JSON white space. */
static const char *
jscan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

#define JSCAN_ONES	0x0101010101010101ULL
#define JSCAN_HIGHS	0x8080808080808080ULL

/* Non-zero if one of the eight bytes of v is zero. */
static inline uint64_t
jscan_zero_byte(uint64_t v)
{
	return (v - JSCAN_ONES) & ~v & JSCAN_HIGHS;
}

/*
 * The closing quote of the string whose contents start at p; NULL if it
 * is not closed.  *esc is set when the string holds a backslash.  Eight
 * bytes are tested at a time for a quote or a backslash (loaded with
 * memcpy, never past end), so long values cost little.
 */
static const char *
jscan_string_end(const char *p, const char *end, bool *esc)
{
	uint64_t	w;

	*esc = false;
	for (;;) {
		while (end - p >= 8) {
			memcpy(&w, p, 8);
			if (jscan_zero_byte(w ^ (JSCAN_ONES * '"')) |
			    jscan_zero_byte(w ^ (JSCAN_ONES * '\\')))
				break;
			p += 8;
		}
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p;
		*esc = true;
		p += 2;
		if (p > end)
			return NULL;
	}
}

/* End of the object or array starting at p ('{' or '['); NULL if open. */
static const char *
jscan_nested_end(const char *p, const char *end)
{
	size_t		 depth = 0;
	const char	*q;
	bool		 esc;

	for (; p < end; p++) {
		switch (*p) {
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		case '"':
			if ((q = jscan_string_end(p + 1, end, &esc)) == NULL)
				return NULL;
			p = q;
			break;
		}
	}
	return NULL;
}

/* Start scanning the object at the start of s. */
int
jscan_open(struct jscan *js, struct span s)
{
	const char	*p = s.p, *end = s.p + s.len;

	p = jscan_ws(p, end);
	if (p >= end || *p != '{')
		return -1;
	js->p = p + 1;
	js->end = end;
	js->first = true;
	return 0;
}

/* The next member of the object: 1, 0 at its end, -1 if malformed. */
int
jscan_next(struct jscan *js, struct span *key, struct jval *val)
{
	const char	*p = js->p, *end = js->end, *q;
	bool		 esc;

	p = jscan_ws(p, end);
	if (p >= end)
		return -1;
	if (*p == '}') {
		js->p = p + 1;
		return 0;
	}
	if (!js->first) {
		if (*p != ',')
			return -1;
		p = jscan_ws(p + 1, end);
	}
	js->first = false;
	if (p >= end || *p != '"')
		return -1;
	if ((q = jscan_string_end(p + 1, end, &esc)) == NULL)
		return -1;
	key->p = p + 1;
	key->len = (size_t)(q - p - 1);
	p = jscan_ws(q + 1, end);
	if (p >= end || *p != ':')
		return -1;
	p = jscan_ws(p + 1, end);
	if (p >= end)
		return -1;

	val->escaped = false;
	switch (*p) {
	case '"':
		if ((q = jscan_string_end(p + 1, end, &esc)) == NULL)
			return -1;
		val->type = JT_STRING;
		val->v.p = p + 1;
		val->v.len = (size_t)(q - p - 1);
		val->escaped = esc;
		p = q + 1;
		break;
	case '{':
	case '[':
		if ((q = jscan_nested_end(p, end)) == NULL)
			return -1;
		val->type = *p == '{' ? JT_OBJECT : JT_ARRAY;
		val->v.p = p;
		val->v.len = (size_t)(q - p);
		p = q;
		break;
	default:
		for (q = p; q < end && *q != ',' && *q != '}' && *q != ' ' &&
		    *q != '\t' && *q != '\r' && *q != '\n'; q++)
			;
		if (q == p)
			return -1;
		val->v.p = p;
		val->v.len = (size_t)(q - p);
		if (*p == '-' || (*p >= '0' && *p <= '9'))
			val->type = JT_NUMBER;
		else if (val->v.len == 4 && memcmp(p, "true", 4) == 0)
			val->type = JT_TRUE;
		else if (val->v.len == 5 && memcmp(p, "false", 5) == 0)
			val->type = JT_FALSE;
		else if (val->v.len == 4 && memcmp(p, "null", 4) == 0)
			val->type = JT_NULL;
		else
			return -1;
		p = q;
		break;
	}
	js->p = p;
	return 1;
}

/* Value of hex digit c, or -1. */
static int
jscan_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The four hex digits at p as a number; -1 if they are not. */
static int32_t
jscan_u4(const char *p, const char *end)
{
	int32_t	v = 0;
	int	i, h;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = jscan_hex(p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Write code point cp as UTF-8 at o; returns the bytes written. */
static size_t
jscan_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The text of a value; strings with escapes are copied without them. */
bool
jscan_string(struct scratch *sc, const struct jval *val, struct span *out)
{
	const char	*p, *end;
	char		*o, *start;
	int32_t		 cp, lo;

	switch (val->type) {
	case JT_NULL:
	case JT_OBJECT:
	case JT_ARRAY:
		return false;
	case JT_STRING:
		if (val->escaped)
			break;
		/* FALLTHROUGH */
	default:
		*out = val->v;
		return true;
	}
	/* Decoded text is never longer than the escaped text. */
	if ((start = scratch_alloc(sc, val->v.len)) == NULL)
		return false;
	o = start;
	p = val->v.p;
	end = p + val->v.len;
	while (p < end) {
		if (*p != '\\' || p + 1 >= end) {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if ((cp = jscan_u4(p + 1, end)) < 0) {
				*o++ = *p;
				break;
			}
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u' &&
			    (lo = jscan_u4(p + 3, end)) >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			/* "\uXXXX" is 6 bytes, its UTF-8 at most 4. */
			o += jscan_utf8((uint32_t)cp, o);
			break;
		default:
			/* \" \\ \/ and anything else: the byte itself. */
			*o++ = *p;
			break;
		}
		p++;
	}
	out->p = start;
	out->len = (size_t)(o - start);
	/* Give back what decoding saved. */
	sc->used -= val->v.len - out->len;
	return true;
}

/* The id of key in tab (ended by a NULL name); 0 when it is not there. */
int
jscan_key(const struct jkey *tab, struct span key)
{
	for (; tab->name != NULL; tab++)
		if (tab->len == key.len && tab->name[0] == key.p[0] &&
		    memcmp(tab->name, key.p, key.len) == 0)
			return tab->id;
	return 0;
}

/* jscan_key() through the cache of names seen before. */
int
jscan_key_cached(struct jkey_cache *c, const struct jkey *tab,
    struct span key)
{
	size_t	pos;
	int	id;

	if (key.len == 0 || key.len > JKEY_CACHE_NAME)
		return jscan_key(tab, key);
	pos = (key.len * 31 + (uint8_t)key.p[0] * 7 +
	    (uint8_t)key.p[key.len - 1] + (uint8_t)key.p[key.len / 2] * 3) %
	    JKEY_CACHE_SLOTS;
	if (c->e[pos].len == key.len && key.len > 0 &&
	    memcmp(c->e[pos].name, key.p, key.len) == 0)
		return c->e[pos].id;
	id = jscan_key(tab, key);
	c->e[pos].len = (uint8_t)key.len;
	c->e[pos].id = (int16_t)id;
	memcpy(c->e[pos].name, key.p, key.len);
	return id;
}
