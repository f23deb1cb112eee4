/*
 * cmd_verify.c: keibictl verify, the check of an evidence archive that
 * needs no daemon.  It recomputes every manifest entry's hash and the
 * chain, the SHA-256 of every segment file and of its decompressed bytes,
 * their sizes and line counts, the continuity of each file's byte ranges
 * (gaps only where a gap record says so), SHA256SUMS, files the manifest
 * does not name, and the signed chain head when a public key is given.
 * It prints a verdict and the first problem found, and never changes the
 * archive.  Text taken from the archive is escaped before it is printed.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <zlib.h>

#include "evidence.h"
#include "keibictl.h"
#include "log.h"

#define VERIFY_SHOW	20		/* problems printed */

struct verify {
	const char	*dir;
	json_t		*seen;		/* "source dev ino" -> next offset */
	json_t		*lastgap;	/* same key -> last gap entry text */
	json_t		*files;		/* file -> sha256_gz of live segments */
	json_t		*gone;		/* deleted files */
	unsigned long	 problems;
	unsigned long	 warnings;
	uint64_t	 entries;
	uint64_t	 segments;
	uint64_t	 gaps;
	uint64_t	 deleted;
	uint64_t	 raw;
	char		 head[65];
};

/* Report a problem (the first one is the verdict's reason). */
static void __attribute__((format(printf, 2, 3)))
verify_problem(struct verify *v, const char *fmt, ...)
{
	va_list	ap;

	if (v->problems++ >= VERIFY_SHOW)
		return;
	printf("PROBLEM: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* An escaped copy of untrusted s for printing (static buffer). */
static const char *
verify_esc(const char *s)
{
	static char	buf[512];

	if (s == NULL)
		return "(none)";
	return log_escape(s, strlen(s), buf, sizeof buf);
}

/* Hex of md/len into out. */
static void
verify_hex(const unsigned char *md, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/*
 * Hash segment path: SHA-256 of the file and of its decompressed bytes,
 * the raw length and newline count.  0, or -1 with *why.
 */
static int
verify_segment(const char *path, char *gzhex, char *rawhex, uint64_t *raw,
    uint64_t *lines, uint64_t *size, const char **why)
{
	EVP_MD_CTX	*hg, *hr;
	z_stream	 z;
	unsigned char	 in[65536], out[65536], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	ssize_t		 n;
	int		 fd, rc = Z_OK, members = 0;
	size_t		 i, got;

	*raw = *lines = *size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return -1;
	}
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
	while ((n = read(fd, in, sizeof in)) > 0) {
		*size += (uint64_t)n;
		EVP_DigestUpdate(hg, in, (size_t)n);
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0 && *why == NULL) {
			if (rc == Z_STREAM_END) {
				inflateReset(&z);
				rc = Z_OK;
			}
			z.next_out = out;
			z.avail_out = sizeof out;
			rc = inflate(&z, Z_NO_FLUSH);
			got = sizeof out - z.avail_out;
			EVP_DigestUpdate(hr, out, got);
			*raw += got;
			for (i = 0; i < got; i++)
				if (out[i] == '\n')
					(*lines)++;
			if (rc == Z_STREAM_END)
				members++;
			else if (rc != Z_OK && rc != Z_BUF_ERROR)
				*why = "not a valid gzip stream";
		}
	}
	if (*why == NULL && (rc != Z_STREAM_END || members == 0))
		*why = "gzip stream cut short";
	inflateEnd(&z);
	close(fd);
	EVP_DigestFinal_ex(hg, md, &mdlen);
	verify_hex(md, mdlen, gzhex);
	EVP_DigestFinal_ex(hr, md, &mdlen);
	verify_hex(md, mdlen, rawhex);
	EVP_MD_CTX_free(hg);
	EVP_MD_CTX_free(hr);
	return *why == NULL ? 0 : -1;
}

/* The continuity key of an entry. */
static void
verify_key(const json_t *o, char *key, size_t size)
{
	snprintf(key, size, "%s %lld %lld",
	    json_string_value(json_object_get(o, "source")) != NULL ?
	    json_string_value(json_object_get(o, "source")) : "",
	    (long long)json_integer_value(json_object_get(o, "dev")),
	    (long long)json_integer_value(json_object_get(o, "inode")));
}

/* Check one segment entry (number idx). */
static void
verify_entry_segment(struct verify *v, uint64_t idx, const json_t *o)
{
	const char	*file = json_string_value(json_object_get(o, "file"));
	const char	*sgz = json_string_value(json_object_get(o, "sha256_gz"));
	const char	*sraw = json_string_value(json_object_get(o,
			    "sha256_raw"));
	uint64_t	 start, end, raw, lines, size;
	struct stat	 sb;
	char		 key[256], gzhex[65], rawhex[65], *path;
	const char	*why;
	json_t		*next;

	v->segments++;
	start = (uint64_t)json_integer_value(json_object_get(o, "offset_start"));
	end = (uint64_t)json_integer_value(json_object_get(o, "offset_end"));
	if (file == NULL || sgz == NULL || sraw == NULL || end < start ||
	    strstr(file, "..") != NULL || file[0] == '/') {
		verify_problem(v, "entry %llu: a segment entry lacks a field",
		    (unsigned long long)idx);
		return;
	}
	verify_key(o, key, sizeof key);
	next = json_object_get(v->seen, key);
	if (next != NULL && start == 0 && json_integer_value(next) != 0) {
		/* A new file got the inode of one archived before. */
		printf("note: %s begins a new file on a reused inode\n",
		    verify_esc(file));
	} else if (next != NULL && (uint64_t)json_integer_value(next) != start)
		verify_problem(v, "entry %llu: %s starts at byte %llu of its "
		    "file but the archive of that file ended at %llu, with no "
		    "gap record", (unsigned long long)idx, verify_esc(file),
		    (unsigned long long)start,
		    (unsigned long long)json_integer_value(next));
	else if (next == NULL && start != 0)
		verify_problem(v, "entry %llu: %s starts at byte %llu of a "
		    "file not archived before, with no gap record",
		    (unsigned long long)idx, verify_esc(file),
		    (unsigned long long)start);
	json_object_set_new(v->seen, key, json_integer((json_int_t)end));
	json_object_del(v->lastgap, key);
	if (json_object_get(v->gone, file) != NULL)
		return;		/* deleted by retention, recorded */
	if (json_object_get(v->files, file) != NULL)
		verify_problem(v, "entry %llu: %s is named twice",
		    (unsigned long long)idx, verify_esc(file));
	json_object_set_new(v->files, file, json_string(sgz));
	if (asprintf(&path, "%s/%s", v->dir, file) == -1)
		fatal("asprintf");
	if (stat(path, &sb) != 0) {
		verify_problem(v, "entry %llu: %s is missing",
		    (unsigned long long)idx, verify_esc(file));
		free(path);
		return;
	}
	if (sb.st_mode & 0222) {
		printf("warning: %s is writable\n", verify_esc(file));
		v->warnings++;
	}
	if (verify_segment(path, gzhex, rawhex, &raw, &lines, &size,
	    &why) != 0)
		verify_problem(v, "%s: %s", verify_esc(file), why);
	else if (strcmp(gzhex, sgz) != 0)
		verify_problem(v, "%s: SHA-256 of the file is %s, the "
		    "manifest says %s", verify_esc(file), gzhex,
		    verify_esc(sgz));
	else if (strcmp(rawhex, sraw) != 0)
		verify_problem(v, "%s: SHA-256 of its bytes is %s, the "
		    "manifest says %s", verify_esc(file), rawhex,
		    verify_esc(sraw));
	else if (raw != end - start)
		verify_problem(v, "%s: holds %llu bytes, the manifest says "
		    "%llu", verify_esc(file), (unsigned long long)raw,
		    (unsigned long long)(end - start));
	else if (lines != (uint64_t)json_integer_value(json_object_get(o,
	    "lines")))
		verify_problem(v, "%s: holds %llu lines, the manifest says "
		    "%lld", verify_esc(file), (unsigned long long)lines,
		    (long long)json_integer_value(json_object_get(o, "lines")));
	v->raw += raw;
	free(path);
}

/* Check one gap entry. */
static void
verify_entry_gap(struct verify *v, uint64_t idx, const json_t *o,
    const char *text, size_t len)
{
	json_t		*next, *last;
	char		 key[256];
	uint64_t	 start;

	v->gaps++;
	verify_key(o, key, sizeof key);
	start = (uint64_t)json_integer_value(json_object_get(o, "offset_start"));
	next = json_object_get(v->seen, key);
	last = json_object_get(v->lastgap, key);
	/* The same gap recorded twice (a crash right after it) is harmless. */
	if (last != NULL && json_equal(last, o))
		return;
	if (next != NULL && (uint64_t)json_integer_value(next) != start)
		verify_problem(v, "entry %llu: a gap record starts at byte %llu "
		    "but the archive of that file ended at %llu",
		    (unsigned long long)idx, (unsigned long long)start,
		    (unsigned long long)json_integer_value(next));
	json_object_set_new(v->seen, key, json_integer(json_integer_value(
	    json_object_get(o, "resume"))));
	json_object_set(v->lastgap, key, (json_t *)o);
	printf("gap: %s %s: bytes %lld-%lld (%s): %s\n",
	    verify_esc(json_string_value(json_object_get(o, "source"))),
	    verify_esc(json_string_value(json_object_get(o, "path"))),
	    (long long)start,
	    (long long)json_integer_value(json_object_get(o, "offset_end")),
	    json_is_integer(json_object_get(o, "bytes")) ? "counted" :
	    "count unknown",
	    verify_esc(json_string_value(json_object_get(o, "reason"))));
}

/* Pass 1: the deleted files, so pass 2 knows what may be missing. */
static void
verify_collect_deleted(struct verify *v, FILE *f)
{
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	json_t		*o;
	const char	*type, *file;

	while ((n = getline(&line, &cap, f)) > 0) {
		if ((o = json_loadb(line, (size_t)n, 0, NULL)) == NULL)
			continue;
		type = json_string_value(json_object_get(o, "type"));
		file = json_string_value(json_object_get(o, "file"));
		if (type != NULL && file != NULL && strcmp(type, "deleted") == 0)
			json_object_set_new(v->gone, file, json_true());
		json_decref(o);
	}
	free(line);
	rewind(f);
}

/* Check the manifest's chain and every entry. */
static void
verify_manifest(struct verify *v)
{
	FILE		*f;
	char		*path, *line = NULL, *body, hash[65];
	size_t		 cap = 0, blen;
	ssize_t		 n;
	json_t		*o;
	json_error_t	 err;
	const char	*prev, *type;
	static const char suffix_fmt[] = ",\"hash\":\"";

	memset(v->head, '0', 64);
	v->head[64] = '\0';
	if (asprintf(&path, "%s/%s", v->dir, EVIDENCE_MANIFEST) == -1)
		fatal("asprintf");
	if ((f = fopen(path, "re")) == NULL) {
		verify_problem(v, "%s: %s", EVIDENCE_MANIFEST, strerror(errno));
		free(path);
		return;
	}
	free(path);
	verify_collect_deleted(v, f);
	while ((n = getline(&line, &cap, f)) > 0) {
		v->entries++;
		if (line[n - 1] != '\n') {
			verify_problem(v, "entry %llu: torn (no newline)",
			    (unsigned long long)v->entries);
			break;
		}
		/* ...,"hash":"<64 hex>"}\n */
		if (n < 76 || memcmp(line + n - 76, suffix_fmt, 9) != 0 ||
		    line[n - 3] != '"' || line[n - 2] != '}') {
			verify_problem(v, "entry %llu: does not end with its "
			    "hash", (unsigned long long)v->entries);
			continue;
		}
		blen = (size_t)n - 76;
		if ((body = malloc(blen + 2)) == NULL)
			fatal("malloc");
		memcpy(body, line, blen);
		body[blen] = '}';
		body[blen + 1] = '\0';
		{
			unsigned char	md[EVP_MAX_MD_SIZE];
			unsigned int	mdlen = 0;

			EVP_Digest(body, blen + 1, md, &mdlen, EVP_sha256(),
			    NULL);
			verify_hex(md, mdlen, hash);
		}
		free(body);
		if (memcmp(hash, line + n - 67, 64) != 0) {
			verify_problem(v, "entry %llu: its hash does not match "
			    "its text (changed)", (unsigned long long)v->entries);
		}
		if ((o = json_loadb(line, (size_t)n, 0, &err)) == NULL) {
			verify_problem(v, "entry %llu: not JSON: %s",
			    (unsigned long long)v->entries, err.text);
			memcpy(v->head, line + n - 67, 64);
			continue;
		}
		prev = json_string_value(json_object_get(o, "prev"));
		if (prev == NULL || strcmp(prev, v->head) != 0)
			verify_problem(v, "entry %llu: \"prev\" does not name the "
			    "entry before it (removed, inserted or reordered "
			    "entries)", (unsigned long long)v->entries);
		memcpy(v->head, line + n - 67, 64);
		type = json_string_value(json_object_get(o, "type"));
		if (type != NULL && strcmp(type, "segment") == 0)
			verify_entry_segment(v, v->entries, o);
		else if (type != NULL && strcmp(type, "gap") == 0)
			verify_entry_gap(v, v->entries, o, line, (size_t)n);
		else if (type != NULL && strcmp(type, "deleted") == 0)
			v->deleted++;
		else
			verify_problem(v, "entry %llu: unknown type",
			    (unsigned long long)v->entries);
		json_decref(o);
	}
	free(line);
	fclose(f);
}

/* SHA256SUMS must list exactly the live segments with their hashes. */
static void
verify_sums(struct verify *v)
{
	FILE		*f;
	char		*path, *line = NULL;
	size_t		 cap = 0, listed = 0;
	ssize_t		 n;
	json_t		*want, *h;
	const char	*file;

	if (asprintf(&path, "%s/%s", v->dir, EVIDENCE_SUMS) == -1)
		fatal("asprintf");
	f = fopen(path, "re");
	free(path);
	if (f == NULL) {
		if (json_object_size(v->files) > 0)
			verify_problem(v, "%s is missing", EVIDENCE_SUMS);
		return;
	}
	want = json_deep_copy(v->files);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n < 67 || line[64] != ' ' || line[65] != ' ') {
			verify_problem(v, "%s: a line is not \"hash  file\"",
			    EVIDENCE_SUMS);
			continue;
		}
		file = line + 66;
		h = json_object_get(want, file);
		if (h == NULL) {
			verify_problem(v, "%s names %s, which is not a live "
			    "segment of the manifest", EVIDENCE_SUMS,
			    verify_esc(file));
			continue;
		}
		if (strncmp(json_string_value(h), line, 64) != 0)
			verify_problem(v, "%s: the hash of %s differs from the "
			    "manifest", EVIDENCE_SUMS, verify_esc(file));
		json_object_del(want, file);
		listed++;
	}
	free(line);
	fclose(f);
	if (json_object_size(want) > 0)
		verify_problem(v, "%s lacks %zu sealed segments",
		    EVIDENCE_SUMS, json_object_size(want));
	json_decref(want);
}

/* Every .gz file under the archive must be a manifest segment. */
static void
verify_walk(struct verify *v, const char *rel, int depth)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*abs, *sub;
	size_t		 len;

	if (asprintf(&abs, "%s%s%s", v->dir, rel[0] != '\0' ? "/" : "",
	    rel) == -1)
		fatal("asprintf");
	d = opendir(abs);
	free(abs);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (depth == 0 && strcmp(de->d_name, EVIDENCE_ORPHANED) == 0)
			continue;
		if (asprintf(&sub, "%s%s%s", rel, rel[0] != '\0' ? "/" : "",
		    de->d_name) == -1)
			fatal("asprintf");
		if (asprintf(&abs, "%s/%s", v->dir, sub) == -1)
			fatal("asprintf");
		if (lstat(abs, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 5)
			verify_walk(v, sub, depth + 1);
		else if ((len = strlen(sub)) > 3 &&
		    strcmp(sub + len - 3, ".gz") == 0 &&
		    json_object_get(v->files, sub) == NULL)
			verify_problem(v, "%s is not a segment of the manifest",
			    verify_esc(sub));
		free(abs);
		free(sub);
	}
	closedir(d);
}

/* CHAIN_HEAD must name the manifest's last entry; check its signature. */
static void
verify_head(struct verify *v, const char *keyfile)
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

	if (asprintf(&path, "%s/%s", v->dir, EVIDENCE_HEAD) == -1)
		fatal("asprintf");
	o = json_load_file(path, 0, NULL);
	free(path);
	if (o == NULL) {
		if (keyfile != NULL)
			verify_problem(v, "%s is missing: the chain head is "
			    "not signed", EVIDENCE_HEAD);
		return;
	}
	hash = json_string_value(json_object_get(o, "hash"));
	if ((uint64_t)json_integer_value(json_object_get(o, "entries")) !=
	    v->entries || hash == NULL || strcmp(hash, v->head) != 0)
		verify_problem(v, "%s names entry %lld, but the manifest has "
		    "%llu entries ending in another hash (entries removed or "
		    "added after signing)", EVIDENCE_HEAD,
		    (long long)json_integer_value(json_object_get(o,
		    "entries")), (unsigned long long)v->entries);
	if (keyfile == NULL) {
		json_decref(o);
		return;
	}
	if ((f = fopen(keyfile, "re")) == NULL ||
	    (key = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL) {
		verify_problem(v, "%s: not a readable public key", keyfile);
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
	if (asprintf(&msg, "keibi chain head\n%lld\n%s\n",
	    (long long)json_integer_value(json_object_get(o, "entries")),
	    hash != NULL ? hash : "") == -1)
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
	if (!ok)
		verify_problem(v, "%s: the signature does not verify with %s",
		    EVIDENCE_HEAD, keyfile);
	else
		printf("chain head signature: good\n");
}

static int
ctl_verify_exec(int argc, char **argv)
{
	struct verify	 v;
	struct config	*conf = NULL;
	const char	*keyfile = NULL;
	int		 ch;

	while ((ch = getopt(argc, argv, "k:")) != -1) {
		switch (ch) {
		case 'k':
			keyfile = optarg;
			break;
		default:
			fprintf(stderr, "usage: keibictl verify [-k PUBKEY] "
			    "[DIR]\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	memset(&v, 0, sizeof v);
	if (argc > 0)
		v.dir = argv[0];
	else if ((conf = ctl_config()) != NULL)
		v.dir = conf->evidence_dir;
	else {
		fprintf(stderr, "keibictl verify: name the archive folder or "
		    "a configuration with -c\n");
		return 2;
	}
	v.seen = json_object();
	v.lastgap = json_object();
	v.files = json_object();
	v.gone = json_object();
	verify_manifest(&v);
	verify_sums(&v);
	verify_walk(&v, "", 0);
	verify_head(&v, keyfile);
	printf("%s: %llu entries: %llu segments (%llu bytes), %llu gaps, "
	    "%llu deleted\n", v.dir, (unsigned long long)v.entries,
	    (unsigned long long)v.segments, (unsigned long long)v.raw,
	    (unsigned long long)v.gaps, (unsigned long long)v.deleted);
	if (v.problems == 0)
		printf("verify: OK: chain head %s\n", v.head);
	else
		printf("verify: FAILED: %lu problems (the first is above)\n",
		    v.problems);
	json_decref(v.seen);
	json_decref(v.lastgap);
	json_decref(v.files);
	json_decref(v.gone);
	config_free(conf);
	return v.problems == 0 ? 0 : 1;
}

const struct ctl_cmd ctl_cmd_verify = {
	.name = "verify",
	.usage = "verify [-k PUBKEY] [DIR]\n        check the evidence "
	    "archive: hashes, chain, segments, gaps, SHA256SUMS",
	.exec = ctl_verify_exec,
};
