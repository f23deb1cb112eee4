/*
 * incident_text.c: the words of an incident.  The vocabularies (statuses,
 * resolutions, severities), each category's classification in ENISA's
 * Reference Security Incident Taxonomy and in the Japanese report
 * category, the suspected cause and the recommended actions (IODEF
 * Expectation words), the text cleaner every field goes through, and the
 * title and summary a person reads aloud: they say plainly that our host
 * is the origin, what it did and how much.
 *
 * This module must never let raw log bytes through: every value it writes
 * has passed incident_clean() (controls, C1 controls, bidi overrides and
 * invalid UTF-8 become visible escapes).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "incident.h"
#include "log.h"
#include "strbuf.h"

#define TEXT_TITLE_MAX	160
#define TEXT_SUMMARY_MAX 1024
/* English singular or plural of a count (Japanese has one form). */
#define TEXT_PL(n, one, many)	((n) == 1 ? (one) : (many))

struct text_class {
	const char	*category;
	const char	*rsit;
	const char	*jp;
	const char	*en;		/* the category for people */
	const char	*ja;
	const char	*cause_en;
	const char	*cause_ja;
	const char	*actions[6];
};

static const struct text_class text_classes[] = {
	{ "outbound_attack", "intrusion-attempts/ids-alert", "不正アクセス",
	  "outbound attack", "外部への攻撃",
	  "our host is probably infected by a bot or misused, and attacks "
	  "other networks",
	  "ボット等への感染または不正利用により、当組織のホストが他組織を攻撃している可能性",
	  { "investigate", "block-host", "contact-source-site", NULL } },
	{ "worm_spread", "malicious-code/infected-system", "ウイルス感染",
	  "worm spread", "ワーム感染拡大",
	  "probable worm infection spreading from host to host inside the "
	  "network",
	  "ワーム感染が組織内でホストからホストへ拡大している可能性",
	  { "investigate", "block-host", "rate-limit-host", NULL } },
	{ "beacon", "malicious-code/infected-system", "ウイルス感染",
	  "C2 beacon", "C2 通信 (ビーコン)",
	  "probable malware infection calling its command and control server",
	  "マルウェア感染により C2 サーバと定期的に通信している可能性",
	  { "investigate", "block-host", "block-network", NULL } },
	{ "outbound_spam", "abusive-content/spam", "不正中継・スパム送信",
	  "outbound spam", "スパム送信",
	  "a stolen or misused mail account, or an infected host, sends spam",
	  "メールアカウントの窃取・不正利用またはホスト感染によるスパム送信の可能性",
	  { "investigate", "rate-limit-host", "block-host", NULL } },
	{ "data_exfiltration", "information-content-security/data-leak",
	  "情報漏えい", "data exfiltration", "情報の持ち出し",
	  "data is probably being sent out by malware or an insider",
	  "マルウェアまたは内部者により情報が外部へ送信されている可能性",
	  { "investigate", "block-host", "block-network", NULL } },
	{ "malware", "malicious-code/infected-system", "ウイルス感染",
	  "malware", "マルウェア",
	  "probable malware infection", "マルウェア感染の可能性",
	  { "investigate", "block-host", NULL } },
	{ "policy_violation", "other/other", "その他",
	  "policy violation", "ポリシー違反",
	  "use against the organisation's policy", "組織のポリシーに反する利用",
	  { "investigate", NULL } },
};

static const char *const text_statuses[] = {
	"new", "acknowledged", "in_progress", "contained", "resolved",
	"closed", "merged", NULL
};
static const char *const text_resolutions[] = {
	"true_positive", "false_positive", "benign", "duplicate",
	"indeterminate", NULL
};
static const char *const text_severities[] = {
	"low", "medium", "high", "critical"
};

/* The class of a category (policy_violation when unknown). */
static const struct text_class *
text_class(const char *category)
{
	size_t	i, n = sizeof text_classes / sizeof text_classes[0];

	for (i = 0; category != NULL && i < n; i++)
		if (strcmp(text_classes[i].category, category) == 0)
			return &text_classes[i];
	return &text_classes[n - 1];
}

/* True if s is in the NULL-terminated v. */
static bool
text_in(const char *s, const char *const *v)
{
	size_t	i;

	for (i = 0; s != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

bool
incident_valid_status(const char *s)
{
	return text_in(s, text_statuses);
}

bool
incident_valid_resolution(const char *s)
{
	return text_in(s, text_resolutions);
}

const char *
incident_rsit(const char *category)
{
	return text_class(category)->rsit;
}

const char *
incident_jp_category(const char *category)
{
	return text_class(category)->jp;
}

const char *
incident_category_text(const char *category, bool ja)
{
	return ja ? text_class(category)->ja : text_class(category)->en;
}

const char *
incident_cause(const char *category, bool ja)
{
	return ja ? text_class(category)->cause_ja :
	    text_class(category)->cause_en;
}

const char *const *
incident_actions(const char *category)
{
	return text_class(category)->actions;
}

const char *
incident_severity_word(int n)
{
	if (n < 1)
		n = 1;
	if (n > 4)
		n = 4;
	return text_severities[n - 1];
}

int
incident_severity_num(const char *s)
{
	int	i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(text_severities[i], s) == 0)
			return i + 1;
	return 0;
}

/* Length of the valid UTF-8 sequence at p and its code point; 0 if bad. */
static size_t
text_utf8(const unsigned char *p, size_t len, unsigned int *cp)
{
	size_t		n, i;
	unsigned int	c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not text. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* True for code points that move or hide text on a terminal or page. */
static bool
text_unsafe(unsigned int c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c || c == 0xfeff;
}

char *
incident_clean(const char *s, size_t len, size_t max)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	char			*o;
	size_t			 i = 0, n, olen = 0, cap;
	unsigned int		 c;

	if (max < 8)
		max = 8;
	cap = max + 1;
	if ((o = malloc(cap)) == NULL)
		fatal("malloc");
	while (i < len) {
		char	tmp[16];
		size_t	tl;

		n = text_utf8(p + i, len - i, &c);
		if (n == 0) {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[p[i] >> 4];
			tmp[3] = hex[p[i] & 15];
			tl = 4;
			n = 1;
		} else if (c == '\\') {
			tmp[0] = tmp[1] = '\\';
			tl = 2;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			tmp[0] = '\\';
			tmp[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			tl = 2;
		} else if (c < 0x20 || c == 0x7f) {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[c >> 4];
			tmp[3] = hex[c & 15];
			tl = 4;
		} else if (text_unsafe(c)) {
			tl = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", c);
		} else {
			memcpy(tmp, p + i, n);
			tl = n;
		}
		if (olen + tl > max) {
			/* Cut on a character boundary and say so. */
			while (olen + 3 > max && olen > 0)
				olen--;
			while (olen > 0 && ((unsigned char)o[olen] & 0xc0) ==
			    0x80)
				olen--;
			memcpy(o + olen, "...", 3);
			olen += 3;
			break;
		}
		memcpy(o + olen, tmp, tl);
		olen += tl;
		i += n;
	}
	o[olen] = '\0';
	return o;
}

/* String member k of o, or def. */
static const char *
text_str(json_t *o, const char *k, const char *def)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : def;
}

/* Integer member k of o, or 0. */
static long long
text_int(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* "10.1.2.3 (pc-0123, owner Tanaka)" of the first internal host. */
static void
text_host(struct strbuf *b, json_t *doc, bool ja)
{
	json_t		*hosts = json_object_get(doc, "internal_hosts");
	json_t		*assets = json_object_get(doc, "assets");
	json_t		*a;
	const char	*h, *name, *owner;
	size_t		 i;

	h = json_string_value(json_array_get(hosts, 0));
	if (h == NULL)
		h = text_str(json_object_get(doc, "group"), "host", "?");
	strbuf_add(b, "%s", h);
	json_array_foreach(assets, i, a) {
		if (strcmp(text_str(a, "ip", ""), h) != 0)
			continue;
		name = text_str(a, "hostname", NULL);
		owner = text_str(a, "owner", NULL);
		if (name != NULL && owner != NULL)
			strbuf_add(b, ja ? " (%s, 利用者 %s)" : " (%s, owner %s)",
			    name, owner);
		else if (name != NULL || owner != NULL)
			strbuf_add(b, " (%s)", name != NULL ? name : owner);
		break;
	}
}

/* "a, b and 3 more" of the first n values of array (of strings or top). */
static void
text_list(struct strbuf *b, json_t *arr, size_t n, long long more, bool ja)
{
	json_t		*v;
	const char	*s;
	size_t		 i, shown = 0;

	json_array_foreach(arr, i, v) {
		if (shown == n) {
			more += (long long)(json_array_size(arr) - i);
			break;
		}
		s = json_is_string(v) ? json_string_value(v) :
		    text_str(v, "value", "?");
		strbuf_add(b, "%s%s", shown > 0 ? ", " : "", s);
		shown++;
	}
	if (more > 0)
		strbuf_add(b, ja ? " ほか %lld 件" : " and %lld more", more);
}

void
incident_describe(json_t *doc, bool ja)
{
	struct strbuf	 t = { NULL, 0, 0 }, s = { NULL, 0, 0 };
	const char	*cat = text_str(doc, "category", "");
	json_t		*group = json_object_get(doc, "group");
	json_t		*remote = json_object_get(doc, "remote");
	json_t		*counters = json_object_get(doc, "counters");
	json_t		*hosts = json_object_get(doc, "internal_hosts");
	const char	*c2 = text_str(group, "c2", NULL);
	const char	*account = text_str(group, "account", NULL);
	const char	*kind = text_str(group, "kind", "host");
	long long	 alerts = text_int(doc, "alert_count");
	long long	 nremote = text_int(remote, "count");
	long long	 nhosts = (long long)json_array_size(hosts) +
			    text_int(doc, "internal_hosts_omitted");
	long long	 targets = text_int(counters, "distinct_targets");
	char		*clean;

	/* Found after the fact (keibictl replay): said first, and plainly. */
	if (json_is_true(json_object_get(doc, "retrospective")))
		strbuf_add(&t, ja ? "[遡及検知] " : "[Retrospective] ");
	if (strcmp(kind, "mass") == 0) {
		if (ja)
			strbuf_add(&t, "[大量発生] 当組織の %lld 台のホストが発生元: "
			    "%s (%lld 件)", nhosts,
			    incident_category_text(cat, ja), alerts);
		else
			strbuf_add(&t, "[Mass event] %lld of our hosts %s the "
			    "origin of %s (%lld %s)", nhosts,
			    TEXT_PL(nhosts, "is", "are"),
			    incident_category_text(cat, ja), alerts,
			    TEXT_PL(alerts, "alert", "alerts"));
		strbuf_add(&s, ja ? "短時間に多数のインシデントが発生したため、1 件に"
		    "まとめました。発生元は当組織のホスト " : "So many incidents "
		    "opened within a minute that they were folded into this "
		    "one. Our hosts are the origin: ");
		text_list(&s, hosts, 10, text_int(doc,
		    "internal_hosts_omitted"), ja);
		strbuf_add(&s, ja ? "。" : ".");
	} else if (strcmp(kind, "c2") == 0) {
		if (ja)
			strbuf_add(&t, "[C2] 当組織の %lld 台のホストが %s と通信 "
			    "(ビーコン)", nhosts, c2 != NULL ? c2 : "?");
		else
			strbuf_add(&t, "[C2] %lld of our hosts %s beaconing to "
			    "%s", nhosts, TEXT_PL(nhosts, "is", "are"),
			    c2 != NULL ? c2 : "?");
		strbuf_add(&s, ja ? "当組織のホスト " : "Our hosts ");
		text_list(&s, hosts, 10, text_int(doc,
		    "internal_hosts_omitted"), ja);
		strbuf_add(&s, ja ? " が同じ C2 宛先 %s へ定期的に通信しています"
		    "(発生元は当組織)。個別のインシデントが子として関連付けられて"
		    "います。" : " all call the same C2 destination %s; our "
		    "hosts are the origin. Each host's incident is linked as "
		    "a child.", c2 != NULL ? c2 : "?");
	} else {
		if (strcmp(cat, "outbound_spam") == 0 && account != NULL) {
			strbuf_add(&t, ja ? "[スパム] 当組織のアカウント %s が発生元: "
			    "%lld 件" : "[Spam] Our account %s is sending spam "
			    "(%lld %s)", account, alerts,
			    TEXT_PL(alerts, "alert", "alerts"));
		} else {
			strbuf_add(&t, ja ? "[%s] 当組織のホスト " : "[%s] Our host ",
			    incident_category_text(cat, ja));
			text_host(&t, doc, ja);
			if (strcmp(cat, "beacon") == 0)
				strbuf_add(&t, ja ? " が %s と定期通信 (%lld 件)" :
				    " is beaconing to %s (%lld %s)",
				    c2 != NULL ? c2 : "?", alerts,
				    TEXT_PL(alerts, "alert", "alerts"));
			else if (strcmp(cat, "worm_spread") == 0)
				strbuf_add(&t, ja ? " が組織内へ拡散 (%lld 件)" :
				    " is spreading inside the network (%lld "
				    "%s)", alerts, TEXT_PL(alerts, "alert",
				    "alerts"));
			else if (ja)
				strbuf_add(&t, " が発生元 (%lld 件, 宛先 %lld)",
				    alerts, targets > nremote ? targets :
				    nremote);
			else
				strbuf_add(&t, " is the origin (%lld %s, %lld "
				    "%s)", alerts, TEXT_PL(alerts, "alert",
				    "alerts"), targets > nremote ? targets :
				    nremote, TEXT_PL(targets > nremote ?
				    targets : nremote, "target", "targets"));
		}
		strbuf_add(&s, ja ? "当組織の " : "Our ");
		if (account != NULL)
			strbuf_add(&s, ja ? "アカウント %s (ホスト " : "account %s "
			    "(host ", account);
		else
			strbuf_add(&s, ja ? "ホスト " : "host ");
		text_host(&s, doc, ja);
		if (account != NULL)
			strbuf_add(&s, ")");
		if (ja)
			strbuf_add(&s, " が発生元です。%s から %s までに「%s」の"
			    "アラートを %lld 件検知しました (ルール ",
			    text_str(doc, "first_seen", "?"),
			    text_str(doc, "last_seen", "?"),
			    incident_category_text(cat, ja), alerts);
		else
			strbuf_add(&s, " is the origin: between %s and %s it "
			    "raised %lld %s of %s (%s ",
			    text_str(doc, "first_seen", "?"),
			    text_str(doc, "last_seen", "?"), alerts,
			    TEXT_PL(alerts, "alert", "alerts"),
			    incident_category_text(cat, ja),
			    TEXT_PL(json_array_size(json_object_get(doc,
			    "rules")), "rule", "rules"));
		text_list(&s, json_object_get(doc, "rules"), 5, 0, ja);
		strbuf_add(&s, ")");
		if (nremote > 0) {
			if (ja)
				strbuf_add(&s, "。相手先 %lld 件: ", nremote);
			else
				strbuf_add(&s, ", towards %lld %s: ", nremote,
				    TEXT_PL(nremote, "remote address or domain",
				    "remote addresses or domains"));
			text_list(&s, json_object_get(remote, "top"), 5,
			    nremote - (long long)json_array_size(
			    json_object_get(remote, "top")), ja);
		}
		if (nremote > 0 && strcmp(cat, "beacon") == 0)
			strbuf_add(&s, ja ? "。相手先は C2 サーバの疑いがあります。" :
			    ". The remote side is the suspected C2 server.");
		else if (nremote > 0)
			strbuf_add(&s, ja ? "。相手先は被害者である可能性があります。" :
			    ". The remote side may be a victim of our host.");
		else
			strbuf_add(&s, ja ? "。" : ".");
	}
	if (json_is_true(json_object_get(doc, "retrospective")))
		strbuf_add(&s, ja ? " この件はライブ監視ではなく、保存済みログの再生 "
		    "(keibictl replay) により遡って検知されました。" : " This "
		    "was found retrospectively, by a replay of archived logs "
		    "(keibictl replay), not by live monitoring.");
	clean = incident_clean(t.p != NULL ? t.p : "", t.len, TEXT_TITLE_MAX);
	json_object_set_new(doc, "title", json_string(clean));
	free(clean);
	clean = incident_clean(s.p != NULL ? s.p : "", s.len,
	    TEXT_SUMMARY_MAX);
	json_object_set_new(doc, "summary", json_string(clean));
	free(clean);
	free(t.p);
	free(s.p);
}

char *
incident_dump(json_t *doc)
{
	char	*s;

	s = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
	if (s == NULL)
		fatal("json_dumps");
	return s;
}
