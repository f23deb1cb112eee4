/*
 * cmd_extract.c: keibictl extract SEGMENT:OFFSET[:LENGTH], the bytes of
 * an archived log and their proof, as a CSIRT attaches them to a report or
 * hands them to the police.  It reads the segment whole: the SHA-256 of
 * the file and of its bytes must be those of its manifest entry, the
 * entry's own hash must match its text, every later entry must link to it
 * up to the newest, and CHAIN_HEAD (signed, when a key is given) must name
 * the newest.  It prints the entry, each check and its result, the bytes,
 * and the standard commands (sha256sum, zcat, tail, head) that let anyone
 * repeat the checks without keibi.  It never changes the archive, and the
 * bytes reach a terminal only escaped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "evidence.h"
#include "keibictl.h"
#include "log.h"
#include "manifest.h"

#define EXTRACT_MAX	(16 * 1024 * 1024)	/* bytes extracted at most */
#define EXTRACT_LINE	(1024 * 1024)		/* a line, when no length */

/*
 * Bytes off..off+len of the decompressed segment at path into *out (len
 * 0: up to and with the next newline).  0, or -1 with *why.
 */
static int
extract_bytes(const char *path, uint64_t off, uint64_t len, char **out,
    size_t *outlen, const char **why)
{
	z_stream	 z;
	unsigned char	*in, *buf;
	uint64_t	 pos = 0, want = len != 0 ? len : EXTRACT_LINE;
	size_t		 got, have = 0, from, n2;
	ssize_t		 n;
	int		 fd, rc = Z_OK;
	bool		 done = false;
	const size_t	 bufsz = 65536;
	char		*nl;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if ((in = malloc(bufsz)) == NULL || (buf = malloc(bufsz)) == NULL ||
	    (*out = malloc(want + 1)) == NULL)
		fatal("malloc");
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		fatalx("inflateInit2");
	*why = NULL;
	while (!done && *why == NULL && (n = read(fd, in, bufsz)) > 0) {
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0 && !done) {
			if (rc == Z_STREAM_END) {
				inflateReset(&z);
				rc = Z_OK;
			}
			z.next_out = buf;
			z.avail_out = (uInt)bufsz;
			rc = inflate(&z, Z_NO_FLUSH);
			got = bufsz - z.avail_out;
			if (rc != Z_OK && rc != Z_STREAM_END) {
				*why = "not a valid gzip stream";
				break;
			}
			if (pos + got > off && have < want) {
				from = pos < off ? (size_t)(off - pos) : 0;
				n2 = got - from;
				if (n2 > want - have)
					n2 = (size_t)(want - have);
				memcpy(*out + have, buf + from, n2);
				have += n2;
			}
			pos += got;
			if (len == 0 && have > 0 && (nl = memchr(*out, '\n',
			    have)) != NULL) {
				have = (size_t)(nl - *out) + 1;
				done = true;
			} else if (have == want)
				done = true;
		}
	}
	inflateEnd(&z);
	close(fd);
	free(in);
	free(buf);
	if (*why == NULL && pos <= off && !done)
		*why = "the offset is past the end of the segment";
	else if (*why == NULL && len != 0 && have < len)
		*why = "the range runs past the end of the segment";
	if (*why != NULL) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[have] = '\0';
	*outlen = have;
	return 0;
}

/* Split "SEGMENT:OFFSET[:LENGTH]"; -1 if it is not that. */
static int
extract_parse(char *arg, char **file, uint64_t *off, uint64_t *len)
{
	char		*c1, *c2, *end;
	unsigned long long v;

	*len = 0;
	if ((c1 = strrchr(arg, ':')) == NULL)
		return -1;
	*c1 = '\0';
	errno = 0;
	v = strtoull(c1 + 1, &end, 10);
	if (c1[1] < '0' || c1[1] > '9' || *end != '\0' || errno != 0)
		return -1;
	*off = v;
	/* A second number: the first was the offset, this the length. */
	if ((c2 = strrchr(arg, ':')) != NULL && c2[1] >= '0' && c2[1] <= '9') {
		errno = 0;
		v = strtoull(c2 + 1, &end, 10);
		if (*end == '\0' && errno == 0) {
			*len = *off;
			*off = v;
			*c2 = '\0';
			if (*len == 0 || *len > EXTRACT_MAX)
				return -1;
		}
	}
	*file = arg;
	return arg[0] != '\0' ? 0 : -1;
}

/* A shell word for text that came from the archive. */
static void
extract_word(const char *s, char *buf, size_t size)
{
	char	esc[1024];
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", s[i]) == NULL)
			break;
	if (s[i] == '\0') {
		snprintf(buf, size, "%s", s);
		return;
	}
	log_escape(s, strlen(s), esc, sizeof esc);
	snprintf(buf, size, "'%s'", esc);
}

/* Print one check's result; a failure clears *all. */
static void
extract_check(bool *all, bool ok, const char *what)
{
	printf("  [%s] %s\n", ok ? " ok " : "FAIL", what);
	if (!ok)
		*all = false;
}

static int
ctl_extract_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "raw", no_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		*conf = NULL;
	struct manifest		*m = NULL;
	const struct mf_seg	*seg;
	struct mf_hash		 hh;
	struct mf_head		 mh;
	const char		*dir = NULL, *keyfile = NULL, *why;
	char			*file, *path = NULL, *bytes = NULL, *cause;
	char			*esc, word[1200], what[512], hex[65];
	char			 sfile[1024], sdir[1024], ssrc[256];
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	uint64_t		 off, len;
	size_t			 blen = 0, dl;
	bool			 raw = false, all = true, readable;
	int			 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:rk:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'r':
			raw = true;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || extract_parse(argv[0], &file, &off, &len) != 0)
		goto usage;
	if (dir == NULL) {
		if ((conf = ctl_config()) == NULL) {
			fprintf(stderr, "keibictl extract: name the archive "
			    "with --dir or a configuration with -c\n");
			return 2;
		}
		dir = conf->evidence_dir;
	}
	/* A path into the archive is taken as the segment it names. */
	dl = strlen(dir);
	if (strncmp(file, dir, dl) == 0 && file[dl] == '/')
		file += dl + 1;
	if ((m = manifest_load(dir, &cause)) == NULL) {
		fprintf(stderr, "keibictl extract: %s\n", cause);
		free(cause);
		config_free(conf);
		return 2;
	}
	if ((seg = manifest_find(m, file)) == NULL || seg->deleted) {
		esc = malloc(strlen(file) * 4 + 8);
		if (esc == NULL)
			fatal("malloc");
		log_escape(file, strlen(file), esc, strlen(file) * 4 + 8);
		fprintf(stderr, "keibictl extract: %s is %s\n", esc,
		    seg == NULL ? "not a segment of the manifest" :
		    "deleted (retention)");
		free(esc);
		manifest_free(m);
		config_free(conf);
		return 1;
	}
	if (asprintf(&path, "%s/%s", dir, seg->file) == -1)
		fatal("asprintf");
	readable = manifest_hash_segment(path, &hh, &why) == 0;
	manifest_head(dir, m->entries, m->head, keyfile, &mh);
	if (extract_bytes(path, off, len, &bytes, &blen, &why) != 0 && raw) {
		fprintf(stderr, "keibictl extract: %s\n", why);
		all = false;
		goto out;
	}

	if (raw) {
		/* Only proven bytes, and a terminal gets them escaped. */
		if (!readable || strcmp(hh.gz, seg->sha_gz) != 0 ||
		    strcmp(hh.raw, seg->sha_raw) != 0 || !seg->ok ||
		    !manifest_chain_ok(m, seg->n) ||
		    (mh.present && !mh.matches) || mh.sig < 0) {
			fprintf(stderr, "keibictl extract: the proof fails; "
			    "run without --raw to see why\n");
			all = false;
			goto out;
		}
		if (isatty(STDOUT_FILENO)) {
			if ((esc = malloc(blen * 4 + 8)) == NULL)
				fatal("malloc");
			printf("%s\n", log_escape(bytes, blen, esc,
			    blen * 4 + 8));
			free(esc);
		} else
			fwrite(bytes, 1, blen, stdout);
		goto out;
	}

	if ((esc = malloc(strlen(seg->line) * 4 + 8)) == NULL)
		fatal("malloc");
	log_escape(seg->line, strlen(seg->line) - 1, esc,
	    strlen(seg->line) * 4 + 8);
	log_escape(seg->file, strlen(seg->file), sfile, sizeof sfile);
	log_escape(dir, strlen(dir), sdir, sizeof sdir);
	log_escape(seg->source, strlen(seg->source), ssrc, sizeof ssrc);
	printf("segment: %s\narchive: %s\nmanifest entry %llu of %llu:\n"
	    "  %s\n\n", sfile, sdir, (unsigned long long)seg->n,
	    (unsigned long long)m->entries, esc);
	free(esc);
	printf("checks:\n");
	if (!readable) {
		snprintf(what, sizeof what, "the segment file reads as gzip "
		    "(%s)", why);
		extract_check(&all, false, what);
	}
	snprintf(what, sizeof what, "SHA-256 of the file is %s, as the "
	    "entry says", readable ? hh.gz : "(unreadable)");
	extract_check(&all, readable && strcmp(hh.gz, seg->sha_gz) == 0, what);
	snprintf(what, sizeof what, "SHA-256 of its %llu decompressed bytes "
	    "is %s, as the entry says", (unsigned long long)hh.raw_len,
	    readable ? hh.raw : "(unreadable)");
	extract_check(&all, readable && strcmp(hh.raw, seg->sha_raw) == 0,
	    what);
	extract_check(&all, readable && hh.raw_len == seg->end - seg->start,
	    "it holds offset_end - offset_start bytes");
	extract_check(&all, seg->ok, "the entry's hash matches its text and "
	    "its \"prev\" the entry before");
	snprintf(what, sizeof what, "every entry from %llu to the newest "
	    "(%llu) verifies and links to the one before: head %s",
	    (unsigned long long)seg->n, (unsigned long long)m->entries,
	    m->head);
	extract_check(&all, manifest_chain_ok(m, seg->n), what);
	if (!manifest_chain_ok(m, seg->n) && m->why_bad != NULL)
		printf("         %s\n", m->why_bad);
	if (mh.present) {
		snprintf(what, sizeof what, "%s names entry %llu and head %s",
		    EVIDENCE_HEAD, (unsigned long long)mh.entries, mh.hash);
		extract_check(&all, mh.matches, what);
		if (mh.sig != 0) {
			snprintf(what, sizeof what, "its Ed25519 signature "
			    "verifies with %s%s%s", keyfile, mh.sig < 0 ?
			    ": " : "", mh.sig < 0 ? mh.sig_why : "");
			extract_check(&all, mh.sig > 0, what);
		} else
			printf("  [ -- ] its signature was not checked (give "
			    "the public key with -k)\n");
	} else if (keyfile != NULL)
		extract_check(&all, false, EVIDENCE_HEAD " is missing: the "
		    "head is not signed");
	if (bytes == NULL) {
		extract_check(&all, false, why);
		goto verdict;
	}
	mdlen = 0;
	EVP_Digest(bytes, blen, md, &mdlen, EVP_sha256(), NULL);
	manifest_hex(md, mdlen, hex);
	esc = malloc(strlen(seg->path) * 4 + 8);
	if (esc == NULL)
		fatal("malloc");
	log_escape(seg->path, strlen(seg->path), esc,
	    strlen(seg->path) * 4 + 8);
	printf("\nbytes %llu-%llu of the segment (%zu bytes), that is bytes "
	    "%llu-%llu of\n  %s (device %llu, inode %llu) as source %s "
	    "read it; SHA-256 %s\n", (unsigned long long)off,
	    (unsigned long long)(off + blen), blen,
	    (unsigned long long)(seg->start + off),
	    (unsigned long long)(seg->start + off + blen), esc,
	    (unsigned long long)seg->dev, (unsigned long long)seg->ino,
	    ssrc, hex);
	free(esc);
	if ((esc = malloc(blen * 4 + 8)) == NULL)
		fatal("malloc");
	printf("----- the bytes (escaped: \\n, \\t, \\xHH) -----\n%s\n"
	    "-----\n", log_escape(bytes, blen, esc, blen * 4 + 8));
	free(esc);
	extract_word(seg->file, word, sizeof word);
	printf("\nrepeat the checks with standard tools, in %s:\n"
	    "  sha256sum %s  # %s\n"
	    "  zcat %s | sha256sum  # %s\n"
	    "  zcat %s | tail -c +%llu | head -c %zu | sha256sum  # %s\n",
	    sdir, word, seg->sha_gz, word, seg->sha_raw, word,
	    (unsigned long long)off + 1, blen, hex);
	/* The entry's hash: its line without ,"hash":"..." and newline. */
	printf("  grep -F '\"type\":\"segment\"' %s | grep -F "
	    "'\"file\":\"%s\"' | sed 's/,\"hash\":\"[0-9a-f]*\"}$/}/' | "
	    "tr -d '\\n' | sha256sum  # %s\n", EVIDENCE_MANIFEST, word,
	    seg->hash);
	printf("  (each entry's \"prev\" is the hash of the one before; "
	    "keibictl verify checks\n  the whole chain)\n");
verdict:
	printf("\nverdict: %s\n", all ? "PROVEN: the bytes are those the "
	    "archive sealed" : "FAILED: these bytes are not proven (see "
	    "the checks above)");
out:
	free(bytes);
	free(path);
	manifest_free(m);
	config_free(conf);
	return all ? 0 : 1;
usage:
	fprintf(stderr, "usage: keibictl extract [--dir DIR] [-k PUBKEY] "
	    "[--raw] SEGMENT:OFFSET[:LENGTH]\n");
	return 2;
}

const struct ctl_cmd ctl_cmd_extract = {
	.name = "extract",
	.usage =
"extract [--dir DIR] [-k PUBKEY] [--raw] SEGMENT:OFFSET[:LENGTH]\n"
"        print archived bytes (the line at OFFSET when no LENGTH) with\n"
"        their proof: the segment's hashes, its manifest entry and the\n"
"        chain from it to the newest, and the sha256sum/zcat commands\n"
"        that repeat the checks; --raw writes only proven bytes",
	.exec = ctl_extract_exec,
};
