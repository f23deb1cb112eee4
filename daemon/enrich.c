/*
 * enrich.c: GeoIP/ASN lookups with libmaxminddb and the static inventory.
 * Databases are memory-mapped (MMDB_MODE_MMAP), so a lookup costs a few
 * hundred nanoseconds and no allocation; the inventory is a small array
 * searched for the longest prefix (it is consulted when an incident opens
 * or gains a host, never per line).
 *
 * This module must never fail the daemon because a database is missing
 * or damaged after start-up (a reload that cannot open one keeps the old
 * enricher), and never trust the text in a database or an inventory: it is
 * copied bounded and escaped wherever it is shown.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>
#include <yaml.h>

#include "enrich.h"
#include "log.h"
#include "record.h"

#define ENRICH_MAX_ASSETS	(1024 * 1024)
#define ENRICH_MAX_FIELD	256
#define ENRICH_MAX_FILE		(64 * 1024 * 1024)
#define ENRICH_VERIFY_DATA	4096	/* data records decoded per check */

struct enrich {
	MMDB_s			 country;
	MMDB_s			 asn;
	MMDB_s			 city;
	bool			 has_country;
	bool			 has_asn;
	bool			 has_city;
	struct enrich_asset	*assets;
	size_t			 nassets;

	/* What enrich_record last set (spans point here). */
	char			 r_country[4];
	char			 r_asn[16];
	char			 r_org[128];
};

/*
 * Check an open database before it is used: sane metadata, every node of
 * the search tree readable with records inside the file, the data of the
 * first ENRICH_VERIFY_DATA data records decodable, and among them the key
 * the enricher reads (key1/key2, key2 may be NULL), so that a damaged
 * file or an ASN database named as the country one is refused.  O(nodes):
 * a GeoLite2-City file (a few million nodes) takes some tens of ms.
 */
static int
enrich_mmdb_check(const char *path, MMDB_s *db, const char *what,
    const char *key1, const char *key2, char **cause)
{
	MMDB_search_node_s	 node;
	MMDB_entry_s		 ent[2];
	MMDB_entry_data_s	 d;
	MMDB_entry_data_list_s	*list;
	uint8_t			 type[2];
	uint32_t		 i;
	size_t			 data = 0, hits = 0;
	int			 k, rc;
	const char		*why = NULL;

	if (db->metadata.node_count == 0)
		why = "the search tree is empty";
	else if (db->metadata.ip_version != 4 && db->metadata.ip_version != 6)
		why = "the IP version is neither 4 nor 6";
	else if (db->metadata.record_size != 24 &&
	    db->metadata.record_size != 28 && db->metadata.record_size != 32)
		why = "the record size is not 24, 28 or 32 bits";
	if (why != NULL)
		goto bad;
	for (i = 0; i < db->metadata.node_count; i++) {
		if ((rc = MMDB_read_node(db, i, &node)) != MMDB_SUCCESS) {
			why = MMDB_strerror(rc);
			goto bad;
		}
		type[0] = node.left_record_type;
		type[1] = node.right_record_type;
		ent[0] = node.left_record_entry;
		ent[1] = node.right_record_entry;
		for (k = 0; k < 2; k++) {
			if (type[k] == MMDB_RECORD_TYPE_INVALID) {
				why = "a search tree record points outside "
				    "the file";
				goto bad;
			}
			if (type[k] != MMDB_RECORD_TYPE_DATA ||
			    data >= ENRICH_VERIFY_DATA)
				continue;
			data++;
			list = NULL;
			rc = MMDB_get_entry_data_list(&ent[k], &list);
			MMDB_free_entry_data_list(list);
			if (rc != MMDB_SUCCESS) {
				why = MMDB_strerror(rc);
				goto bad;
			}
			if (MMDB_get_value(&ent[k], &d, key1, key2, NULL) ==
			    MMDB_SUCCESS && d.has_data)
				hits++;
		}
	}
	if (data == 0)
		why = "the database holds no data";
	else if (hits == 0) {
		if (asprintf(cause, "%s: no %s data (no \"%s%s%s\" in its "
		    "records): not a %s database", path, what, key1,
		    key2 != NULL ? "." : "", key2 != NULL ? key2 : "", what)
		    == -1)
			fatal("asprintf");
		return -1;
	}
	if (why == NULL)
		return 0;
bad:
	if (asprintf(cause, "%s: damaged database: %s", path, why) == -1)
		fatal("asprintf");
	return -1;
}

/*
 * Open one database into db and check it (enrich_mmdb_check); -1 with
 * *cause naming the file, db closed.
 */
static int
enrich_mmdb(const char *path, MMDB_s *db, const char *what,
    const char *key1, const char *key2, char **cause)
{
	int	rc;

	rc = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (rc != MMDB_SUCCESS) {
		if (asprintf(cause, "%s: %s%s%s", path, MMDB_strerror(rc),
		    rc == MMDB_IO_ERROR ? ": " : "",
		    rc == MMDB_IO_ERROR ? strerror(errno) : "") == -1)
			fatal("asprintf");
		return -1;
	}
	if (enrich_mmdb_check(path, db, what, key1, key2, cause) != 0) {
		MMDB_close(db);
		return -1;
	}
	return 0;
}

/* A bounded copy of s with controls dropped, or NULL for "". */
static char *
enrich_field(const char *s, size_t len)
{
	char	*o;
	size_t	 i, n = 0;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return NULL;
	if (len > ENRICH_MAX_FIELD)
		len = ENRICH_MAX_FIELD;
	if ((o = malloc(len + 1)) == NULL)
		fatal("malloc");
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			o[n++] = s[i];
	o[n] = '\0';
	return o;
}

/* Add an inventory entry for address/CIDR text; -1 if it is not one. */
static int
enrich_asset_add(struct enrich *en, const char *addr, size_t alen,
    char *fields[4])
{
	struct enrich_asset	*a;
	struct cidr		 c;
	const char		*why;

	while (alen > 0 && isspace((unsigned char)*addr)) {
		addr++;
		alen--;
	}
	while (alen > 0 && isspace((unsigned char)addr[alen - 1]))
		alen--;
	if (cidr_parse(&c, addr, alen, &why) != 0)
		return -1;
	if (en->nassets >= ENRICH_MAX_ASSETS)
		return -1;
	en->assets = reallocarray(en->assets, en->nassets + 1,
	    sizeof *en->assets);
	if (en->assets == NULL)
		fatal("reallocarray");
	a = &en->assets[en->nassets++];
	a->net = c;
	a->hostname = fields[0];
	a->owner = fields[1];
	a->department = fields[2];
	a->role = fields[3];
	return 0;
}

/* Read a whole file (bounded); NULL with *cause. */
static char *
enrich_slurp(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "re")) == NULL) {
		if (asprintf(cause, "%s: %s", path, strerror(errno)) == -1)
			fatal("asprintf");
		return NULL;
	}
	if ((buf = malloc(ENRICH_MAX_FILE + 1)) == NULL)
		fatal("malloc");
	n = fread(buf, 1, ENRICH_MAX_FILE + 1, f);
	fclose(f);
	if (n > ENRICH_MAX_FILE) {
		free(buf);
		if (asprintf(cause, "%s: larger than %d bytes", path,
		    ENRICH_MAX_FILE) == -1)
			fatal("asprintf");
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * CSV: address,hostname,owner,department,role per line; '#' comments and
 * a header line starting with "address", "cidr" or "ip" are skipped.
 * Fields may be quoted with "..." (no newlines inside).
 */
static int
enrich_csv(struct enrich *en, const char *path, char **cause)
{
	char		*buf, *line, *next, *fields[5], *f[4];
	size_t		 len, lineno = 0, nf, i;
	const char	*p, *end;
	char		 tmp[ENRICH_MAX_FIELD + 1];
	size_t		 tl;
	bool		 q;

	if ((buf = enrich_slurp(path, &len, cause)) == NULL)
		return -1;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		p = line;
		end = line + strlen(line);
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end || *p == '#')
			continue;
		if (lineno == 1 && (strncasecmp(p, "address", 7) == 0 ||
		    strncasecmp(p, "cidr", 4) == 0 ||
		    strncasecmp(p, "ip", 2) == 0))
			continue;
		nf = 0;
		while (nf < 5) {
			tl = 0;
			q = p < end && *p == '"';
			if (q)
				p++;
			while (p < end) {
				if (q && *p == '"' && p + 1 < end &&
				    p[1] == '"') {
					p++;
				} else if (q && *p == '"') {
					q = false;
					p++;
					continue;
				} else if (!q && *p == ',')
					break;
				if (tl < ENRICH_MAX_FIELD)
					tmp[tl++] = *p;
				p++;
			}
			fields[nf++] = enrich_field(tmp, tl);
			if (p >= end)
				break;
			p++;	/* the comma */
		}
		for (i = 0; i < 4; i++)
			f[i] = i + 1 < nf ? fields[i + 1] : NULL;
		if (fields[0] == NULL || enrich_asset_add(en, fields[0],
		    strlen(fields[0]), f) != 0) {
			log_warnx("%s:%zu: not an address or CIDR; entry "
			    "skipped", path, lineno);
			for (i = 1; i < nf; i++)
				free(fields[i]);
		}
		free(fields[0]);
	}
	free(buf);
	return 0;
}

/* The scalar value of key in mapping node m, or NULL. */
static yaml_node_t *
enrich_yaml_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(doc, p->key);
		v = yaml_document_get_node(doc, p->value);
		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE ||
		    v->type != YAML_SCALAR_NODE)
			continue;
		if (strcmp((const char *)k->data.scalar.value, key) == 0)
			return v;
	}
	return NULL;
}

/* YAML: a list of mappings with address (or cidr, ip) and the four keys. */
static int
enrich_yaml(struct enrich *en, const char *path, char **cause)
{
	static const char *const keys[4] = {
		"hostname", "owner", "department", "role"
	};
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root, *item, *a, *v;
	yaml_node_item_t *it;
	char		*buf, *f[4];
	size_t		 len, i;
	int		 rc = -1;

	if ((buf = enrich_slurp(path, &len, cause)) == NULL)
		return -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (asprintf(cause, "%s:%zu: %s", path,
		    parser.problem_mark.line + 1,
		    parser.problem != NULL ? parser.problem : "bad YAML") == -1)
			fatal("asprintf");
		yaml_parser_delete(&parser);
		free(buf);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = 0;		/* empty */
		goto out;
	}
	if (root->type != YAML_SEQUENCE_NODE) {
		if (asprintf(cause, "%s: the inventory must be a list of "
		    "mappings", path) == -1)
			fatal("asprintf");
		goto out;
	}
	for (it = root->data.sequence.items.start;
	    it < root->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&doc, *it);
		if (item == NULL || item->type != YAML_MAPPING_NODE)
			continue;
		if ((a = enrich_yaml_get(&doc, item, "address")) == NULL &&
		    (a = enrich_yaml_get(&doc, item, "cidr")) == NULL &&
		    (a = enrich_yaml_get(&doc, item, "ip")) == NULL) {
			log_warnx("%s:%zu: entry without an address skipped",
			    path, item->start_mark.line + 1);
			continue;
		}
		for (i = 0; i < 4; i++) {
			v = enrich_yaml_get(&doc, item, keys[i]);
			f[i] = v == NULL ? NULL : enrich_field(
			    (const char *)v->data.scalar.value,
			    v->data.scalar.length);
		}
		if (enrich_asset_add(en, (const char *)a->data.scalar.value,
		    a->data.scalar.length, f) != 0) {
			log_warnx("%s:%zu: not an address or CIDR; entry "
			    "skipped", path, a->start_mark.line + 1);
			for (i = 0; i < 4; i++)
				free(f[i]);
		}
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(buf);
	return rc;
}

struct enrich *
enrich_open(const struct config *conf, char **cause)
{
	struct enrich	*en;
	size_t		 len;

	if ((en = calloc(1, sizeof *en)) == NULL)
		fatal("calloc");
	if (conf->geoip_country != NULL) {
		if (enrich_mmdb(conf->geoip_country, &en->country,
		    "country", "country", "iso_code", cause) != 0)
			goto fail;
		en->has_country = true;
	}
	if (conf->geoip_asn != NULL) {
		if (enrich_mmdb(conf->geoip_asn, &en->asn, "ASN",
		    "autonomous_system_number", NULL, cause) != 0)
			goto fail;
		en->has_asn = true;
	}
	if (conf->geoip_city != NULL) {
		if (enrich_mmdb(conf->geoip_city, &en->city, "city",
		    "city", NULL, cause) != 0)
			goto fail;
		en->has_city = true;
	}
	if (conf->inventory != NULL) {
		len = strlen(conf->inventory);
		if ((len > 4 && strcmp(conf->inventory + len - 4,
		    ".yml") == 0) || (len > 5 && strcmp(conf->inventory +
		    len - 5, ".yaml") == 0)) {
			if (enrich_yaml(en, conf->inventory, cause) != 0)
				goto fail;
		} else if (enrich_csv(en, conf->inventory, cause) != 0)
			goto fail;
	}
	return en;
fail:
	enrich_free(en);
	return NULL;
}

void
enrich_free(struct enrich *en)
{
	size_t	i;

	if (en == NULL)
		return;
	if (en->has_country)
		MMDB_close(&en->country);
	if (en->has_asn)
		MMDB_close(&en->asn);
	if (en->has_city)
		MMDB_close(&en->city);
	for (i = 0; i < en->nassets; i++) {
		free(en->assets[i].hostname);
		free(en->assets[i].owner);
		free(en->assets[i].department);
		free(en->assets[i].role);
	}
	free(en->assets);
	free(en);
}

bool
enrich_active(const struct enrich *en)
{
	return en != NULL && (en->has_country || en->has_asn ||
	    en->has_city || en->nassets > 0);
}

/* Look addr up in db: the entry, or false. */
static bool
enrich_lookup(MMDB_s *db, const struct netaddr *addr,
    MMDB_lookup_result_s *res)
{
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;
	int			 err = 0;

	if (addr->family == 4) {
		memset(&s4, 0, sizeof s4);
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, addr->a, 4);
		*res = MMDB_lookup_sockaddr(db, (struct sockaddr *)&s4, &err);
	} else if (addr->family == 6) {
		memset(&s6, 0, sizeof s6);
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, addr->a, 16);
		*res = MMDB_lookup_sockaddr(db, (struct sockaddr *)&s6, &err);
	} else
		return false;
	return err == MMDB_SUCCESS && res->found_entry;
}

/* Copy a UTF-8 string value at path into buf; false if there is none. */
static bool
enrich_string(MMDB_lookup_result_s *res, char *buf, size_t size, ...)
{
	MMDB_entry_data_s	 d;
	va_list			 ap;
	size_t			 n, i, o = 0;
	int			 rc;

	va_start(ap, size);
	rc = MMDB_vget_value(&res->entry, &d, ap);
	va_end(ap);
	if (rc != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return false;
	n = d.data_size < size - 1 ? d.data_size : size - 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)d.utf8_string[i] >= 0x20 &&
		    d.utf8_string[i] != 0x7f)
			buf[o++] = d.utf8_string[i];
	buf[o] = '\0';
	return o > 0;
}

bool
enrich_geo(struct enrich *en, const struct netaddr *addr,
    struct enrich_geo *g)
{
	MMDB_lookup_result_s	 res;
	MMDB_entry_data_s	 d;
	bool			 found = false;

	memset(g, 0, sizeof *g);
	if (en == NULL)
		return false;
	if (en->has_country && enrich_lookup(&en->country, addr, &res)) {
		found |= enrich_string(&res, g->country, sizeof g->country,
		    "country", "iso_code", NULL);
	}
	if (en->has_city && enrich_lookup(&en->city, addr, &res)) {
		if (g->country[0] == '\0')
			found |= enrich_string(&res, g->country,
			    sizeof g->country, "country", "iso_code", NULL);
		found |= enrich_string(&res, g->city, sizeof g->city, "city",
		    "names", "en", NULL);
	}
	if (en->has_asn && enrich_lookup(&en->asn, addr, &res)) {
		if (MMDB_get_value(&res.entry, &d,
		    "autonomous_system_number", NULL) == MMDB_SUCCESS &&
		    d.has_data && d.type == MMDB_DATA_TYPE_UINT32) {
			g->asn = d.uint32;
			found = true;
		}
		found |= enrich_string(&res, g->as_org, sizeof g->as_org,
		    "autonomous_system_organization", NULL);
	}
	return found;
}

const struct enrich_asset *
enrich_asset(const struct enrich *en, const struct netaddr *addr)
{
	const struct enrich_asset	*best = NULL;
	size_t				 i;

	if (en == NULL)
		return NULL;
	for (i = 0; i < en->nassets; i++) {
		if (!cidr_contains(&en->assets[i].net, addr))
			continue;
		if (best == NULL || en->assets[i].net.prefix > best->net.prefix)
			best = &en->assets[i];
	}
	return best;
}

void
enrich_record(struct enrich *en, struct record *rec,
    const struct cidr_set *internal)
{
	struct enrich_geo	g;
	int			n;

	if (en == NULL || !(en->has_country || en->has_asn || en->has_city))
		return;
	if (rec->dst.family == 0 || (internal != NULL &&
	    cidr_set_contains(internal, &rec->dst)))
		return;
	if (!enrich_geo(en, &rec->dst, &g))
		return;
	if (g.country[0] != '\0' &&
	    !record_has(rec, RF_DESTINATION_GEO_COUNTRY_ISO_CODE)) {
		memcpy(en->r_country, g.country, sizeof en->r_country);
		record_set(rec, RF_DESTINATION_GEO_COUNTRY_ISO_CODE,
		    en->r_country, strlen(en->r_country));
	}
	if (g.asn != 0 && !record_has(rec, RF_DESTINATION_AS_NUMBER)) {
		n = snprintf(en->r_asn, sizeof en->r_asn, "%u", g.asn);
		record_set(rec, RF_DESTINATION_AS_NUMBER, en->r_asn, (size_t)n);
	}
	if (g.as_org[0] != '\0' &&
	    !record_has(rec, RF_DESTINATION_AS_ORGANIZATION_NAME)) {
		memcpy(en->r_org, g.as_org, sizeof en->r_org);
		record_set(rec, RF_DESTINATION_AS_ORGANIZATION_NAME, en->r_org,
		    strlen(en->r_org));
	}
}
