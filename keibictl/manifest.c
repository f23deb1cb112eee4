/*
 * manifest.c: reading an evidence archive (see manifest.h).  An entry's
 * hash is the SHA-256 of its line with ',"hash":"..."' taken out before
 * the closing brace, and its "prev" must be the hash written in the line
 * before: this module recomputes both for every line, so a changed,
 * removed, inserted or reordered entry is found wherever it is.  It must
 * never change an archive and never trust a field before its line's hash
 * was checked; what it returns says which entries verify.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <zlib.h>

#include "evidence.h"
#include "log.h"
#include "manifest.h"
#include "tz.h"

#define MF_HASH_TAIL	76	/* ,"hash":"<64 hex>"}\n */

void
manifest_hex(const unsigned char *md, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
manifest_walk(const char *dir, mf_walk_cb cb, void *arg, char *head)
{
	struct mf_line	 ml;
	json_error_t	 err;
	FILE		*f;
	char		*path, *line = NULL, *body, hash[65];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	const char	*prev;
	size_t		 cap = 0, blen;
	ssize_t		 n;
	uint64_t	 num = 0;
	int		 stop = 0;
	static const char suffix[] = ",\"hash\":\"";

	memset(head, '0', 64);
	head[64] = '\0';
	if (asprintf(&path, "%s/%s", dir, EVIDENCE_MANIFEST) == -1)
		fatal("asprintf");
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return -1;
	while (!stop && (n = getline(&line, &cap, f)) > 0) {
		memset(&ml, 0, sizeof ml);
		ml.n = ++num;
		ml.text = line;
		ml.len = (size_t)n;
		if (line[n - 1] != '\n') {
			ml.torn = true;
			cb(arg, &ml);
			break;
		}
		if (n < MF_HASH_TAIL || memcmp(line + n - MF_HASH_TAIL, suffix,
		    sizeof suffix - 1) != 0 || line[n - 3] != '"' ||
		    line[n - 2] != '}') {
			ml.unhashed = true;
			stop = cb(arg, &ml);
			continue;
		}
		memcpy(ml.hash, line + n - 67, 64);
		ml.hash[64] = '\0';
		blen = (size_t)n - MF_HASH_TAIL;
		if ((body = malloc(blen + 1)) == NULL)
			fatal("malloc");
		memcpy(body, line, blen);
		body[blen] = '}';
		mdlen = 0;
		if (EVP_Digest(body, blen + 1, md, &mdlen, EVP_sha256(),
		    NULL) != 1)
			fatalx("EVP_Digest");
		free(body);
		manifest_hex(md, mdlen, hash);
		ml.changed = memcmp(hash, ml.hash, 64) != 0;
		if ((ml.o = json_loadb(line, (size_t)n, 0, &err)) == NULL)
			ml.json_error = err.text;
		else {
			prev = json_string_value(json_object_get(ml.o, "prev"));
			ml.relinked = prev == NULL || strcmp(prev, head) != 0;
		}
		memcpy(head, ml.hash, 65);
		stop = cb(arg, &ml);
		json_decref(ml.o);
	}
	free(line);
	fclose(f);
	return 0;
}

int64_t
manifest_time(const char *s)
{
	int		 v[6] = { 0 }, i, k, sign;
	size_t		 at = 0, len;
	int64_t		 us = 0, scale = 100000, off = 0;
	static const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	static const char seps[6] = { '-', '-', 'T', ':', ':', '\0' };

	if (s == NULL)
		return MF_NO_TIME;
	len = strlen(s);
	for (i = 0; i < 6; i++) {
		for (k = 0; k < widths[i]; k++, at++) {
			if (at >= len || s[at] < '0' || s[at] > '9')
				return MF_NO_TIME;
			v[i] = v[i] * 10 + (s[at] - '0');
		}
		if (seps[i] != '\0') {
			if (at >= len || (s[at] != seps[i] &&
			    !(seps[i] == 'T' && s[at] == ' ')))
				return MF_NO_TIME;
			at++;
		}
	}
	if (at < len && s[at] == '.') {
		for (at++; at < len && s[at] >= '0' && s[at] <= '9'; at++) {
			us += (s[at] - '0') * scale;
			scale /= 10;
		}
	}
	if (at < len && s[at] == 'Z')
		at++;
	else if (at + 6 == len && (s[at] == '+' || s[at] == '-') &&
	    s[at + 3] == ':') {
		sign = s[at] == '-' ? -1 : 1;
		for (k = 1; k < 6; k++)
			if (k != 3 && (s[at + k] < '0' || s[at + k] > '9'))
				return MF_NO_TIME;
		off = sign * (((s[at + 1] - '0') * 10 + (s[at + 2] - '0')) *
		    3600 + ((s[at + 4] - '0') * 10 + (s[at + 5] - '0')) * 60);
		at += 6;
	}
	if (at != len || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60)
		return MF_NO_TIME;
	return ((tz_days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 +
	    v[4] * 60 + v[5]) - off) * 1000000 + us;
}

/* strdup of s ("" for NULL); allocation failure is fatal. */
static char *
mf_strdup(const char *s)
{
	char	*d;

	if ((d = strdup(s != NULL ? s : "")) == NULL)
		fatal("strdup");
	return d;
}

/* Copy a 64-hex field of o into out[65] ("" when absent or malformed). */
static void
mf_hex_field(const json_t *o, const char *key, char *out)
{
	const char	*s = json_string_value(json_object_get(o, key));

	out[0] = '\0';
	if (s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64)
		memcpy(out, s, 65);
}

static uint64_t
mf_u64(const json_t *o, const char *key)
{
	json_int_t	v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* manifest_walk callback of manifest_load: keep segment entries. */
static int
mf_load_line(void *arg, const struct mf_line *ml)
{
	struct manifest	*m = arg;
	struct mf_seg	*s;
	struct mf_gap	*g;
	const char	*type, *file, *why = NULL;
	size_t		 i;

	m->entries = ml->n;
	if (ml->torn)
		why = "cut short (no newline)";
	else if (ml->unhashed)
		why = "does not end with its hash";
	else if (ml->changed)
		why = "its hash does not match its text (changed)";
	else if (ml->o == NULL)
		why = "not JSON";
	else if (ml->relinked)
		why = "\"prev\" does not name the entry before it (entries "
		    "removed, inserted or reordered)";
	if (why != NULL) {
		m->bad++;
		m->last_bad = ml->n;
		free(m->why_bad);
		if (asprintf(&m->why_bad, "entry %llu: %s",
		    (unsigned long long)ml->n, why) == -1)
			fatal("asprintf");
	}
	if (ml->o == NULL)
		return 0;
	type = json_string_value(json_object_get(ml->o, "type"));
	file = json_string_value(json_object_get(ml->o, "file"));
	if (type != NULL && strcmp(type, "gap") == 0) {
		m->gap = reallocarray(m->gap, m->ngap + 1, sizeof *m->gap);
		if (m->gap == NULL)
			fatal("reallocarray");
		g = &m->gap[m->ngap++];
		memset(g, 0, sizeof *g);
		g->n = ml->n;
		g->source = mf_strdup(json_string_value(json_object_get(ml->o,
		    "source")));
		g->dev = mf_u64(ml->o, "dev");
		g->ino = mf_u64(ml->o, "inode");
		g->start = mf_u64(ml->o, "offset_start");
		g->end = mf_u64(ml->o, "offset_end");
		g->resume = json_object_get(ml->o, "resume") != NULL ?
		    mf_u64(ml->o, "resume") : g->end;
		g->ok = why == NULL;
		return 0;
	}
	if (type == NULL || file == NULL)
		return 0;
	if (strcmp(type, "deleted") == 0) {
		for (i = m->nseg; i > 0; i--)
			if (strcmp(m->seg[i - 1].file, file) == 0) {
				m->seg[i - 1].deleted = true;
				break;
			}
		return 0;
	}
	if (strcmp(type, "segment") != 0)
		return 0;
	m->seg = reallocarray(m->seg, m->nseg + 1, sizeof *m->seg);
	if (m->seg == NULL)
		fatal("reallocarray");
	s = &m->seg[m->nseg++];
	memset(s, 0, sizeof *s);
	s->n = ml->n;
	s->source = mf_strdup(json_string_value(json_object_get(ml->o,
	    "source")));
	s->file = mf_strdup(file);
	s->path = mf_strdup(json_string_value(json_object_get(ml->o, "path")));
	s->dev = mf_u64(ml->o, "dev");
	s->ino = mf_u64(ml->o, "inode");
	s->start = mf_u64(ml->o, "offset_start");
	s->end = mf_u64(ml->o, "offset_end");
	s->lines = mf_u64(ml->o, "lines");
	s->size = mf_u64(ml->o, "size");
	s->sealed = (int64_t)mf_u64(ml->o, "sealed_unix");
	s->first_us = manifest_time(json_string_value(json_object_get(ml->o,
	    "first_time")));
	s->last_us = manifest_time(json_string_value(json_object_get(ml->o,
	    "last_time")));
	mf_hex_field(ml->o, "sha256_gz", s->sha_gz);
	mf_hex_field(ml->o, "sha256_raw", s->sha_raw);
	mf_hex_field(ml->o, "sha256_idx", s->sha_idx);
	if (json_string_value(json_object_get(ml->o, "idx")) != NULL)
		s->idx = mf_strdup(json_string_value(json_object_get(ml->o,
		    "idx")));
	if ((s->line = strndup(ml->text, ml->len)) == NULL)
		fatal("strndup");
	memcpy(s->hash, ml->hash, 65);
	s->ok = why == NULL;
	/* A segment named outside the archive is never opened. */
	if (file[0] == '/' || strstr(file, "..") != NULL ||
	    (s->idx != NULL && (s->idx[0] == '/' ||
	    strstr(s->idx, "..") != NULL))) {
		s->ok = false;
		s->deleted = true;
	}
	return 0;
}

struct manifest *
manifest_load(const char *dir, char **cause)
{
	struct manifest	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		fatal("calloc");
	m->dir = mf_strdup(dir);
	if (manifest_walk(dir, mf_load_line, m, m->head) != 0) {
		if (asprintf(cause, "%s/%s: %s", dir, EVIDENCE_MANIFEST,
		    strerror(errno)) == -1)
			fatal("asprintf");
		manifest_free(m);
		return NULL;
	}
	return m;
}

void
manifest_free(struct manifest *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nseg; i++) {
		free(m->seg[i].source);
		free(m->seg[i].file);
		free(m->seg[i].path);
		free(m->seg[i].idx);
		free(m->seg[i].line);
	}
	free(m->seg);
	for (i = 0; i < m->ngap; i++)
		free(m->gap[i].source);
	free(m->gap);
	free(m->why_bad);
	free(m->dir);
	free(m);
}

const struct mf_seg *
manifest_find(const struct manifest *m, const char *file)
{
	size_t	i;

	for (i = m->nseg; i > 0; i--)
		if (strcmp(m->seg[i - 1].file, file) == 0)
			return &m->seg[i - 1];
	return NULL;
}

int
manifest_file_end(const struct manifest *m, const char *source, uint64_t dev,
    uint64_t ino, uint64_t *end, const struct mf_seg **seg)
{
	const struct mf_seg	*s = NULL;
	const struct mf_gap	*g = NULL;
	size_t			 i;

	for (i = m->nseg; i > 0 && s == NULL; i--)
		if (m->seg[i - 1].dev == dev && m->seg[i - 1].ino == ino &&
		    m->seg[i - 1].source != NULL &&
		    strcmp(m->seg[i - 1].source, source) == 0)
			s = &m->seg[i - 1];
	for (i = m->ngap; i > 0 && g == NULL; i--)
		if (m->gap[i - 1].dev == dev && m->gap[i - 1].ino == ino &&
		    m->gap[i - 1].source != NULL &&
		    strcmp(m->gap[i - 1].source, source) == 0)
			g = &m->gap[i - 1];
	if (s == NULL && g == NULL)
		return 0;
	if (g != NULL && (s == NULL || g->n > s->n)) {
		*end = g->resume;
		*seg = NULL;
	} else {
		*end = s->end;
		*seg = s;
	}
	return 1;
}

bool
manifest_chain_ok(const struct manifest *m, uint64_t n)
{
	return m->last_bad < n;
}

int
manifest_hash_segment(const char *path, struct mf_hash *h, const char **why)
{
	EVP_MD_CTX	*hg, *hr;
	z_stream	 z;
	unsigned char	*in, *out, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	ssize_t		 n;
	int		 fd, rc = Z_OK, members = 0;
	size_t		 i, got;
	const size_t	 bufsz = 65536;

	memset(h, 0, sizeof *h);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if ((in = malloc(bufsz)) == NULL || (out = malloc(bufsz)) == NULL)
		fatal("malloc");
	hg = EVP_MD_CTX_new();
	hr = EVP_MD_CTX_new();
	if (hg == NULL || hr == NULL ||
	    EVP_DigestInit_ex(hg, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(hr, EVP_sha256(), NULL) != 1)
		fatalx("EVP");
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		fatalx("inflateInit2");
	*why = NULL;
	while ((n = read(fd, in, bufsz)) > 0) {
		h->size += (uint64_t)n;
		EVP_DigestUpdate(hg, in, (size_t)n);
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0 && *why == NULL) {
			if (rc == Z_STREAM_END) {
				inflateReset(&z);
				rc = Z_OK;
			}
			z.next_out = out;
			z.avail_out = (uInt)bufsz;
			rc = inflate(&z, Z_NO_FLUSH);
			got = bufsz - z.avail_out;
			EVP_DigestUpdate(hr, out, got);
			h->raw_len += got;
			for (i = 0; i < got; i++)
				if (out[i] == '\n')
					h->lines++;
			if (rc == Z_STREAM_END)
				members++;
			else if (rc != Z_OK)
				*why = "not a valid gzip stream";
		}
	}
	if (n == -1 && *why == NULL)
		*why = strerror(errno);
	if (*why == NULL && (rc != Z_STREAM_END || members == 0))
		*why = "gzip stream cut short";
	inflateEnd(&z);
	close(fd);
	mdlen = 0;
	EVP_DigestFinal_ex(hg, md, &mdlen);
	manifest_hex(md, mdlen, h->gz);
	mdlen = 0;
	EVP_DigestFinal_ex(hr, md, &mdlen);
	manifest_hex(md, mdlen, h->raw);
	EVP_MD_CTX_free(hg);
	EVP_MD_CTX_free(hr);
	free(in);
	free(out);
	return *why == NULL ? 0 : -1;
}

int
manifest_hash_file(const char *path, char *hex, uint64_t *size)
{
	EVP_MD_CTX	*c;
	unsigned char	*buf, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	ssize_t		 n;
	int		 fd;
	const size_t	 bufsz = 256 * 1024;

	*size = 0;
	hex[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(bufsz)) == NULL)
		fatal("malloc");
	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		fatalx("EVP");
	while ((n = read(fd, buf, bufsz)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		EVP_DigestUpdate(c, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	close(fd);
	free(buf);
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (n == -1)
		return -1;
	manifest_hex(md, mdlen, hex);
	return 0;
}

void
manifest_head(const char *dir, uint64_t entries, const char *head,
    const char *keyfile, struct mf_head *mh)
{
	json_t		*o;
	char		*path, *msg;
	const char	*hash, *sig;
	unsigned char	 sigb[128];
	size_t		 siglen, i;
	EVP_PKEY	*key = NULL;
	EVP_MD_CTX	*c;
	FILE		*f;
	int		 ok;

	memset(mh, 0, sizeof *mh);
	if (asprintf(&path, "%s/%s", dir, EVIDENCE_HEAD) == -1)
		fatal("asprintf");
	o = json_load_file(path, 0, NULL);
	free(path);
	if (o == NULL)
		return;
	mh->present = true;
	mh->entries = mf_u64(o, "entries");
	mf_hex_field(o, "hash", mh->hash);
	hash = json_string_value(json_object_get(o, "hash"));
	mh->matches = mh->entries == entries && hash != NULL &&
	    strcmp(hash, head) == 0;
	if (keyfile == NULL) {
		json_decref(o);
		return;
	}
	mh->sig = -1;
	if ((f = fopen(keyfile, "re")) == NULL ||
	    (key = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL) {
		mh->sig_why = "not a readable public key";
		if (f != NULL)
			fclose(f);
		json_decref(o);
		return;
	}
	fclose(f);
	sig = json_string_value(json_object_get(o, "sig"));
	siglen = sig != NULL ? strlen(sig) / 2 : 0;
	for (i = 0; i < siglen && i < sizeof sigb; i++) {
		unsigned int	b;

		if (sscanf(sig + 2 * i, "%2x", &b) != 1)
			break;
		sigb[i] = (unsigned char)b;
	}
	if (asprintf(&msg, "keibi chain head\n%llu\n%s\n",
	    (unsigned long long)mh->entries, hash != NULL ? hash : "") == -1)
		fatal("asprintf");
	c = EVP_MD_CTX_new();
	ok = c != NULL && siglen > 0 && siglen <= sizeof sigb &&
	    EVP_DigestVerifyInit(c, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(c, sigb, siglen, (unsigned char *)msg,
	    strlen(msg)) == 1;
	EVP_MD_CTX_free(c);
	free(msg);
	EVP_PKEY_free(key);
	json_decref(o);
	mh->sig = ok ? 1 : -1;
	if (!ok)
		mh->sig_why = "the signature does not verify";
}
