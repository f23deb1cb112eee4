/*
 * hscache.c: compiled Hyperscan databases kept on disk (see hscache.h).
 * An entry is the file KEY.hsdb in the cache folder:
 *
 *	"KEIBIHS1"  SHA-256 of the rest (32 bytes)  hs_serialize_database()
 *
 * written to a temporary name and renamed, so that a reader sees a whole
 * entry or none; a torn or altered one fails its hash and is compiled
 * again and replaced.  Using an entry touches it; entries untouched for
 * HSCACHE_MAX_AGE are removed when a new one is written, so rule changes
 * do not pile up old databases.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hscache.h"
#include "log.h"

#define HSC_MAGIC	"KEIBIHS1"
#define HSC_MAGIC_LEN	8
#define HSC_HEAD	(HSC_MAGIC_LEN + 32)
#define HSC_MAX_SIZE	((off_t)256 << 20)	/* a bigger entry is not ours */
#define HSC_NAME_MAX	80

/* The entry's name: a SHA-256 of what the compilation depends on. */
static void
hsc_key(const hs_platform_info_t *plat, const char *const *pats,
    const unsigned int *flags, const unsigned int *ids, unsigned int n,
    char *name, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	EVP_MD_CTX		*ctx;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i, v[3];
	const char		*ver = hs_version();
	size_t			 len;
	char			*p;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("EVP_DigestInit_ex");
	EVP_DigestUpdate(ctx, HSC_MAGIC, HSC_MAGIC_LEN);
	EVP_DigestUpdate(ctx, ver, strlen(ver) + 1);
	EVP_DigestUpdate(ctx, plat, sizeof *plat);
	v[0] = HS_MODE_BLOCK;
	v[1] = n;
	EVP_DigestUpdate(ctx, v, 2 * sizeof v[0]);
	for (i = 0; i < n; i++) {
		len = strlen(pats[i]);
		v[0] = flags[i];
		v[1] = ids[i];
		v[2] = (unsigned int)len;
		EVP_DigestUpdate(ctx, v, sizeof v);
		EVP_DigestUpdate(ctx, pats[i], len);
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		fatalx("EVP_DigestFinal_ex");
	EVP_MD_CTX_free(ctx);
	p = name;
	for (i = 0; i < mdlen && (size_t)(p - name) + 3 < size; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

/* SHA-256 of len bytes at p into md (32 bytes). */
static void
hsc_sha256(const void *p, size_t len, unsigned char *md)
{
	unsigned int	mdlen;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("EVP_Digest");
}

/* The entry dir/name as a database, or -1 (missing, torn, foreign). */
static int
hsc_load(const char *dir, const char *name, hs_database_t **db)
{
	char		 path[PATH_MAX];
	unsigned char	 md[32];
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 len, got = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if (snprintf(path, sizeof path, "%s/%s.hsdb", dir, name) >=
	    (int)sizeof path)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			log_debug("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= HSC_HEAD || sb.st_size > HSC_MAX_SIZE)
		goto out;
	len = (size_t)sb.st_size;
	if ((buf = malloc(len)) == NULL)
		goto out;
	while (got < len) {
		r = read(fd, buf + got, len - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	hsc_sha256(buf + HSC_HEAD, len - HSC_HEAD, md);
	if (memcmp(buf, HSC_MAGIC, HSC_MAGIC_LEN) != 0 ||
	    memcmp(buf + HSC_MAGIC_LEN, md, sizeof md) != 0) {
		log_debug("%s: not a whole cache entry; compiling again", path);
		goto out;
	}
	if (hs_deserialize_database(buf + HSC_HEAD, len - HSC_HEAD, db) !=
	    HS_SUCCESS) {
		*db = NULL;
		log_debug("%s: refused by Hyperscan; compiling again", path);
		goto out;
	}
	(void)futimens(fd, NULL);	/* used: not to be pruned */
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Remove entries (and temporaries) untouched for HSCACHE_MAX_AGE. */
static void
hsc_prune(const char *dir)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	time_t		 now = time(NULL);
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (!(len > 5 && strcmp(de->d_name + len - 5, ".hsdb") == 0) &&
		    strncmp(de->d_name, ".tmp.", 5) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) !=
		    0 || !S_ISREG(sb.st_mode) ||
		    now - sb.st_mtime < HSCACHE_MAX_AGE)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_debug("%s/%s: unused for %d days, removed", dir,
			    de->d_name, HSCACHE_MAX_AGE / 86400);
	}
	closedir(d);
}

/* Write db as the entry dir/name; failures are only logged. */
static void
hsc_store(const char *dir, const char *name, const hs_database_t *db)
{
	char		 tmp[PATH_MAX], path[PATH_MAX];
	unsigned char	 head[HSC_HEAD];
	char		*bytes = NULL;
	size_t		 len;
	int		 fd;

	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
		return;
	memcpy(head, HSC_MAGIC, HSC_MAGIC_LEN);
	hsc_sha256(bytes, len, head + HSC_MAGIC_LEN);
	if (snprintf(path, sizeof path, "%s/%s.hsdb", dir, name) >=
	    (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s/.tmp.%s.XXXXXX", dir, name) >=
	    (int)sizeof tmp) {
		free(bytes);
		return;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		log_debug("%s: %s; compiled rules are not cached", tmp,
		    strerror(errno));
		free(bytes);
		return;
	}
	if (write(fd, head, sizeof head) != (ssize_t)sizeof head ||
	    write(fd, bytes, len) != (ssize_t)len || close(fd) != 0 ||
	    rename(tmp, path) != 0) {
		log_debug("%s: %s; compiled rules are not cached", path,
		    strerror(errno));
		(void)unlink(tmp);
	}
	free(bytes);
	hsc_prune(dir);
}

hs_error_t
hscache_compile(const char *dir, const char *const *pats,
    const unsigned int *flags, const unsigned int *ids, unsigned int n,
    hs_database_t **db, hs_compile_error_t **err, bool *hit)
{
	hs_platform_info_t	plat;
	char			name[HSC_NAME_MAX];
	hs_error_t		rc;

	*db = NULL;
	*err = NULL;
	*hit = false;
	memset(&plat, 0, sizeof plat);
	if (hs_populate_platform(&plat) != HS_SUCCESS)
		dir = NULL;
	if (dir != NULL) {
		hsc_key(&plat, pats, flags, ids, n, name, sizeof name);
		if (hsc_load(dir, name, db) == 0) {
			*hit = true;
			return HS_SUCCESS;
		}
	}
	rc = hs_compile_multi(pats, flags, ids, n, HS_MODE_BLOCK,
	    dir != NULL ? &plat : NULL, db, err);
	if (rc == HS_SUCCESS && dir != NULL)
		hsc_store(dir, name, *db);
	return rc;
}
