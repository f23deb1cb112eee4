/*
 * cmd_report.c: keibictl report ID [--format md|html] [--lang ja|en], an
 * incident written as the record the IPA guide asks a handler to keep
 * (分類, 発覚日時, 発生日時, 発生事象, 対応経過, 想定される原因, 被害を受けた
 * システム, and the evidence with its hashes), ready to paste into a
 * JPCERT/CC or internal report.  The HTML version draws the alerts over
 * time and the histogram of the intervals between them as inline SVG (for
 * a beacon: the calls and their period).
 *
 * This command must never let record text act as markup: every value is
 * escaped for Markdown or HTML, and the page loads nothing from outside.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "incident.h"
#include "incidents.h"
#include "keibictl.h"
#include "log.h"
#include "store.h"

#define REP_BINS	24

enum rep_fmt {
	REP_MD = 0,
	REP_HTML
};

struct rep {
	enum rep_fmt	 fmt;
	bool		 ja;
	FILE		*f;
};

/* Text as data: HTML entities, or Markdown's specials backslashed. */
static void
rep_text(struct rep *r, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (r->fmt == REP_HTML) {
			switch (*s) {
			case '&':
				fputs("&amp;", r->f);
				continue;
			case '<':
				fputs("&lt;", r->f);
				continue;
			case '>':
				fputs("&gt;", r->f);
				continue;
			case '"':
				fputs("&quot;", r->f);
				continue;
			case '\'':
				fputs("&#39;", r->f);
				continue;
			}
		} else if (strchr("\\`*_[]<>|", *s) != NULL)
			fputc('\\', r->f);
		if ((unsigned char)*s < 0x20)
			fputc(' ', r->f);
		else
			fputc(*s, r->f);
	}
}

/* A section heading. */
static void
rep_h2(struct rep *r, const char *ja, const char *en)
{
	if (r->fmt == REP_HTML)
		fprintf(r->f, "<h2>%s</h2>\n", r->ja ? ja : en);
	else
		fprintf(r->f, "\n## %s\n\n", r->ja ? ja : en);
}

/* A "label: value" line. */
static void
rep_item(struct rep *r, const char *ja, const char *en, const char *v)
{
	if (r->fmt == REP_HTML) {
		fprintf(r->f, "<tr><th>%s</th><td>", r->ja ? ja : en);
		rep_text(r, v);
		fprintf(r->f, "</td></tr>\n");
	} else {
		fprintf(r->f, "- **%s**: ", r->ja ? ja : en);
		rep_text(r, v);
		fprintf(r->f, "\n");
	}
}

/* A paragraph. */
static void
rep_para(struct rep *r, const char *v)
{
	fputs(r->fmt == REP_HTML ? "<p>" : "", r->f);
	rep_text(r, v);
	fputs(r->fmt == REP_HTML ? "</p>\n" : "\n", r->f);
}

/* A table start/end for items. */
static void
rep_table(struct rep *r, bool open)
{
	if (r->fmt == REP_HTML)
		fputs(open ? "<table>\n" : "</table>\n", r->f);
}

/* A preformatted line (a raw log line, already cleaned). */
static void
rep_code(struct rep *r, const char *ts, const char *s)
{
	if (r->fmt == REP_HTML) {
		fputs("<pre>", r->f);
		rep_text(r, ts);
		fputs(" ", r->f);
		rep_text(r, s);
		fputs("</pre>\n", r->f);
	} else {
		/* Indented code: one line each, nothing can close it. */
		fprintf(r->f, "    %s %s\n", ts, s);
	}
}

/* The SVG timeline of alert times and the histogram of the intervals. */
static void
rep_svg(struct rep *r, const int64_t *t, size_t n)
{
	double		 span, x, iv, maxiv = 0;
	unsigned int	 bins[REP_BINS] = { 0 }, maxb = 1, b;
	size_t		 i;
	char		 a[32], z[32];
	time_t		 tt;
	struct tm	 tm;

	if (n == 0)
		return;
	span = (double)(t[n - 1] - t[0]);
	fprintf(r->f, "<h3>%s</h3>\n", r->ja ? "アラートの時系列" :
	    "Alerts over time");
	fprintf(r->f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
	    "height=\"90\" role=\"img\"><rect width=\"760\" height=\"90\" "
	    "fill=\"#f7f7f7\"/><line x1=\"20\" y1=\"60\" x2=\"740\" y2=\"60\" "
	    "stroke=\"#333\"/>\n");
	for (i = 0; i < n; i++) {
		x = 20 + (span > 0 ? 720.0 * (double)(t[i] - t[0]) / span :
		    360);
		fprintf(r->f, "<line x1=\"%.1f\" y1=\"25\" x2=\"%.1f\" "
		    "y2=\"60\" "
		    "stroke=\"#c0392b\" stroke-width=\"2\"/>\n", x, x);
	}
	tt = (time_t)t[0];
	localtime_r(&tt, &tm);
	strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &tm);
	tt = (time_t)t[n - 1];
	localtime_r(&tt, &tm);
	strftime(z, sizeof z, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(r->f, "<text x=\"20\" y=\"80\" font-size=\"12\">%s</text>"
	    "<text x=\"740\" y=\"80\" font-size=\"12\" text-anchor=\"end\">"
	    "%s</text><text x=\"380\" y=\"18\" font-size=\"12\" "
	    "text-anchor=\"middle\">%zu %s</text></svg>\n", a, z, n,
	    r->ja ? "件" : "alerts");
	if (n < 3)
		return;
	for (i = 1; i < n; i++)
		if ((double)(t[i] - t[i - 1]) > maxiv)
			maxiv = (double)(t[i] - t[i - 1]);
	for (i = 1; i < n; i++) {
		iv = (double)(t[i] - t[i - 1]);
		b = maxiv > 0 ? (unsigned int)(iv / maxiv * (REP_BINS - 1)) : 0;
		if (++bins[b] > maxb)
			maxb = bins[b];
	}
	fprintf(r->f, "<h3>%s</h3>\n", r->ja ? "間隔のヒストグラム" :
	    "Histogram of the intervals");
	fprintf(r->f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
	    "height=\"140\" role=\"img\"><rect width=\"760\" height=\"140\" "
	    "fill=\"#f7f7f7\"/>\n");
	for (b = 0; b < REP_BINS; b++)
		fprintf(r->f, "<rect x=\"%u\" y=\"%.1f\" width=\"26\" height="
		    "\"%.1f\" fill=\"#2c3e50\"/>\n", 20 + b * 30,
		    110 - 90.0 * bins[b] / maxb, 90.0 * bins[b] / maxb);
	fprintf(r->f, "<text x=\"20\" y=\"130\" font-size=\"12\">0s</text>"
	    "<text x=\"740\" y=\"130\" font-size=\"12\" text-anchor=\"end\">"
	    "%.0fs</text></svg>\n", maxiv);
}

/* The whole report. */
static void
rep_write(struct rep *r, const struct config *conf, struct store *st,
    json_t *doc)
{
	json_t		*cls = json_object_get(doc, "classification"), *v;
	json_t		*ev = json_object_get(doc, "evidence");
	struct store_tl	*tl;
	int64_t		*times;
	char		 buf[1024], t[32];
	const char	*cat = ctl_j(doc, "category");
	size_t		 i, n;
	time_t		 tt;
	struct tm	 tm;

	if (r->fmt == REP_HTML) {
		fprintf(r->f, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
		    "<meta charset=\"utf-8\"><meta http-equiv=\"Content-"
		    "Security-Policy\" content=\"default-src 'none'; style-src "
		    "'unsafe-inline'\"><title>", r->ja ? "ja" : "en");
		rep_text(r, ctl_j(doc, "id"));
		fprintf(r->f, "</title><style>body{font-family:sans-serif;"
		    "margin:2em;max-width:60em}th{text-align:left;padding-"
		    "right:1em;vertical-align:top}pre{background:#f4f4f4;"
		    "padding:.3em;white-space:pre-wrap;word-break:break-all}"
		    "</style></head><body>\n<h1>");
		rep_text(r, ctl_j(doc, "id"));
		fputs(" ", r->f);
		rep_text(r, ctl_j(doc, "title"));
		fputs("</h1>\n", r->f);
	} else {
		fprintf(r->f, "# ");
		rep_text(r, ctl_j(doc, "id"));
		fputs(" ", r->f);
		rep_text(r, ctl_j(doc, "title"));
		fputs("\n", r->f);
	}
	rep_h2(r, "分類", "Classification");
	rep_table(r, true);
	rep_item(r, "インシデントの分類", "Category",
	    incident_category_text(cat, r->ja));
	rep_item(r, "報告用分類", "Japanese report category",
	    ctl_j(cls, "jp_category"));
	rep_item(r, "RSIT 分類", "RSIT class", ctl_j(cls, "rsit"));
	buf[0] = '\0';
	json_array_foreach(json_object_get(doc, "attack"), i, v) {
		if (strlen(buf) + strlen(json_string_value(v)) + 3 <
		    sizeof buf) {
			n = strlen(buf);
			snprintf(buf + n, sizeof buf - n, "%s%s", i > 0 ?
			    ", " : "", json_string_value(v));
		}
	}
	rep_item(r, "MITRE ATT&CK", "MITRE ATT&CK", buf);
	rep_item(r, "重大度", "Severity", ctl_j(doc, "severity"));
	snprintf(buf, sizeof buf, "%s%s%s", ctl_j(doc, "status"),
	    json_is_string(json_object_get(doc, "resolution")) ? " / " : "",
	    ctl_j(doc, "resolution"));
	rep_item(r, "対応状況", "Status", buf);
	rep_item(r, "インシデント番号", "Incident id", ctl_j(doc, "id"));
	rep_table(r, false);

	rep_h2(r, "発覚日時", "Detected");
	rep_para(r, ctl_j(doc, "opened_at"));
	rep_h2(r, "発生日時", "Occurred");
	snprintf(buf, sizeof buf, "%s — %s (%s %s)", ctl_j(doc, "first_seen"),
	    ctl_j(doc, "last_seen"), r->ja ? "タイムゾーン" : "time zone",
	    ctl_j(json_object_get(doc, "clock"), "tz"));
	rep_para(r, buf);

	rep_h2(r, "発生事象", "What happened");
	rep_para(r, ctl_j(doc, "summary"));
	rep_table(r, true);
	snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(
	    json_object_get(doc, "alert_count")));
	rep_item(r, "アラート件数", "Alerts", buf);
	snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(
	    json_object_get(json_object_get(doc, "counters"),
	    "distinct_targets")));
	rep_item(r, "相手先の数", "Distinct targets", buf);
	json_array_foreach(json_object_get(doc, "rule_details"), i, v) {
		snprintf(buf, sizeof buf, "%s (%lld): %s", ctl_j(v, "id"),
		    (long long)json_integer_value(json_object_get(v, "count")),
		    ctl_j(v, "title"));
		rep_item(r, "検知ルール", "Rule", buf);
	}
	rep_table(r, false);
	if (r->fmt == REP_HTML) {
		n = store_alert_times(st, ctl_j(doc, "id"), &times);
		rep_svg(r, times, n);
		free(times);
	}

	rep_h2(r, "被害を受けたシステム (発生元は当組織のホスト)",
	    "Systems involved (our hosts are the origin)");
	rep_table(r, true);
	json_array_foreach(json_object_get(doc, "internal_hosts"), i, v)
		rep_item(r, "当組織のホスト", "Our host", json_string_value(v));
	json_array_foreach(json_object_get(doc, "assets"), i, v) {
		snprintf(buf, sizeof buf, "%s: %s, %s, %s, %s", ctl_j(v, "ip"),
		    ctl_j(v, "hostname"), ctl_j(v, "owner"),
		    ctl_j(v, "department"), ctl_j(v, "role"));
		rep_item(r, "資産情報", "Asset", buf);
	}
	json_array_foreach(json_object_get(doc, "users"), i, v)
		rep_item(r, "アカウント", "Account", json_string_value(v));
	json_array_foreach(json_object_get(json_object_get(doc, "remote"),
	    "top"), i, v) {
		if (json_object_get(v, "asn") != NULL)
			snprintf(buf, sizeof buf, "%s (%lld) %s AS%lld %s",
			    ctl_j(v, "value"), (long long)json_integer_value(
			    json_object_get(v, "count")), ctl_j(v, "country"),
			    (long long)json_integer_value(json_object_get(v,
			    "asn")), ctl_j(v, "as_org"));
		else
			snprintf(buf, sizeof buf, "%s (%lld) %s", ctl_j(v,
			    "value"), (long long)json_integer_value(
			    json_object_get(v, "count")), ctl_j(v, "country"));
		rep_item(r, "相手先 (影響を受けた可能性)",
		    "Remote side (possibly affected)", buf);
	}
	rep_table(r, false);

	rep_h2(r, "想定される原因", "Suspected cause");
	rep_para(r, incident_cause(cat, r->ja));

	rep_h2(r, "対応経過", "Response timeline");
	rep_table(r, true);
	n = store_tl(st, ctl_j(doc, "id"), &tl);
	for (i = 0; i < n; i++) {
		tt = (time_t)tl[i].ts;
		localtime_r(&tt, &tm);
		strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(buf, sizeof buf, "[%s] %s: %s", tl[i].kind != NULL ?
		    tl[i].kind : "", tl[i].by != NULL ? tl[i].by : "",
		    tl[i].text != NULL ? tl[i].text : "");
		rep_item(r, t, t, buf);
	}
	store_tl_free(tl, n);
	rep_table(r, false);

	rep_h2(r, "推奨される対応", "Recommended actions");
	json_array_foreach(json_object_get(doc, "recommended_actions"), i, v) {
		fputs(r->fmt == REP_HTML ? "<p>" : "- ", r->f);
		rep_text(r, json_string_value(v));
		fputs(r->fmt == REP_HTML ? "</p>\n" : "\n", r->f);
	}

	rep_h2(r, "該当ログと証跡", "Log evidence");
	ctl_resolve_refs(conf, doc);
	json_array_foreach(json_object_get(ev, "samples"), i, v)
		rep_code(r, ctl_j(v, "ts"), ctl_j(v, "raw"));
	if (json_integer_value(json_object_get(ev, "omitted")) > 0) {
		snprintf(buf, sizeof buf, r->ja ? "ほか %lld 行" :
		    "%lld more lines", (long long)json_integer_value(
		    json_object_get(ev, "omitted")));
		rep_para(r, buf);
	}
	rep_table(r, true);
	json_array_foreach(json_object_get(ev, "refs"), i, v) {
		snprintf(buf, sizeof buf, "%s offset %lld length %lld: %s %s%s",
		    ctl_j(v, "source"), (long long)json_integer_value(
		    json_object_get(v, "offset")), (long long)
		    json_integer_value(json_object_get(v, "length")),
		    json_object_get(v, "segment") != NULL ? ctl_j(v,
		    "segment") : (r->ja ? "(未封印)" : "(not sealed yet)"),
		    json_object_get(v, "sha256") != NULL ? "sha256 " : "",
		    ctl_j(v, "sha256"));
		rep_item(r, "証跡", "Evidence", buf);
	}
	rep_table(r, false);
	if (r->fmt == REP_HTML)
		fputs("</body></html>\n", r->f);
}

static int
ctl_report_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "lang", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct rep	 r = { REP_MD, false, stdout };
	struct config	*conf;
	struct store	*st;
	json_t		*doc;
	int		 ch;

	optind = 0;	/* options may follow the id */
	while ((ch = getopt_long(argc, argv, "f:l:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "html") == 0)
				r.fmt = REP_HTML;
			else if (strcmp(optarg, "md") != 0)
				goto usage;
			break;
		case 'l':
			if (strcmp(optarg, "ja") == 0)
				r.ja = true;
			else if (strcmp(optarg, "en") != 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if ((conf = ctl_config()) == NULL) {
		fprintf(stderr, "keibictl: no configuration (use -c FILE)\n");
		return 2;
	}
	st = ctl_store(conf, false);
	if ((doc = ctl_incident(st, argv[optind])) == NULL) {
		fprintf(stderr, "keibictl: no incident %s\n", argv[optind]);
		store_close(st);
		config_free(conf);
		return 1;
	}
	/* Title and summary in the language asked for. */
	incident_describe(doc, r.ja);
	rep_write(&r, conf, st, doc);
	json_decref(doc);
	store_close(st);
	config_free(conf);
	return 0;
usage:
	fprintf(stderr, "usage: keibictl report ID [--format md|html] "
	    "[--lang ja|en]\n");
	return 2;
}

const struct ctl_cmd ctl_cmd_report = {
	.name = "report",
	.usage = "report ID [--format md|html] [--lang ja|en]\n"
	    "        the incident as a report record (IPA items, evidence "
	    "hashes)",
	.exec = ctl_report_exec,
};
