#!/bin/sh
# keibictl report and the incident commands on the store of a real
# keibid --once run: list, show, ack/close/note offline (the author is the
# Unix user), reopen after a close, the report in Markdown and HTML, in
# Japanese and English, hostile text escaped in both; and, when Debian's
# chromium is installed, the HTML report rendered headless: the
# screenshot is not blank and the text is on the page.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
keibid="$top_builddir/keibid"
ctl="$top_builddir/keibictl/keibictl"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {	# check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok: $1 ($3)"
	else
		echo "FAIL: $1: expected $2, got $3"
		fail=1
	fi
}
cp "$top_srcdir"/contrib/samples/*.log "$tmp/"
chmod u+w "$tmp"/*.log
printf '1795224900.000    706 10.1.2.77 TCP_MISS/403 1577 GET http://shop.example.com/item.php?id=1%%20UNION%%20ALL%%20SELECT%%20NULL--<script>alert(1)</script>|x"}]<img\033[2J\377 a</td>**b**[l](javascript:x) HIER_DIRECT/203.0.113.80 text/html\n' >>"$tmp/proxy-access.log"
cat >"$tmp/keibi.yml" <<EOC
state_dir: state
rules: [$top_srcdir/rules]
timezone: Asia/Tokyo
networks: {internal: [10.0.0.0/8]}
sources:
  - {name: fw, path: firewall.log, parser: iptables}
  - {name: proxy, path: proxy-access.log, parser: squid}
  - {name: mail, path: mail.log, parser: postfix}
incidents: {throttle: 0, reopen: 1d}
outputs: [{type: jsonl, path: incidents.jsonl}]
EOC
"$keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1
check "keibid --once" 0 $?
"$ctl" -c "$tmp/keibi.yml" incidents >"$tmp/list"
cat "$tmp/list"
n=$(wc -l <"$tmp/list" | tr -d ' ')
check "incidents lists the open ones" 1 "$([ "$n" -ge 3 ] && echo 1)"
id=$(grep outbound_attack "$tmp/list" | grep 10.1.2.77 | awk '{print $1}')
check "the hostile proxy line made an incident" 1 "$([ -n "$id" ] && echo 1)"
me=$(id -un)
"$ctl" -c "$tmp/keibi.yml" ack "$id" --note "calling the owner" >/dev/null
check "ack" 0 $?
"$ctl" -c "$tmp/keibi.yml" note "$id" "PC taken off the network" >/dev/null
check "note" 0 $?
"$ctl" -c "$tmp/keibi.yml" close "$id" >/dev/null 2>&1
check "close without a resolution is refused" 2 $?
"$ctl" -c "$tmp/keibi.yml" close "$id" --resolution true_positive >/dev/null
check "close" 0 $?
"$ctl" -c "$tmp/keibi.yml" show "$id" >"$tmp/show"
check "show names who acknowledged" 1 \
    "$(grep -c "status .*$me .*-> acknowledged" "$tmp/show")"
check "show has the note" 1 "$(grep -c 'PC taken off the network' "$tmp/show")"
check "closed incidents leave the open list" 0 \
    "$("$ctl" -c "$tmp/keibi.yml" incidents | grep -c "$id")"
check "show escapes the hostile line for the terminal" 0 \
    "$(tr -cd '\033\377' <"$tmp/show" | wc -c | tr -d ' ')"
# Revisions queued offline wait for keibid: its next run writes them.
"$keibid" -q -c "$tmp/keibi.yml" --once >/dev/null 2>&1
check "the close reached the jsonl output" 1 \
    "$(grep "\"id\":\"$id\"" "$tmp/incidents.jsonl" | tail -n 1 | grep -c '"status":"closed","resolution":"true_positive"')"

# While keibid runs it owns the store: the change is left for it to apply.
"$keibid" -q -c "$tmp/keibi.yml" >"$tmp/service.log" 2>&1 &
kpid=$!
sleep 2
out=$("$ctl" -c "$tmp/keibi.yml" note "$id" "noted while keibid runs")
check "a running keibid applies a note" "$id: note by $me" "$out"
kill $kpid
wait $kpid 2>/dev/null
check "the live note is in the timeline" 1 \
    "$("$ctl" -c "$tmp/keibi.yml" show "$id" | grep -c 'noted while keibid runs')"

for lang in ja en; do
	"$ctl" -c "$tmp/keibi.yml" report "$id" --format md --lang $lang >"$tmp/r.$lang.md"
	check "report md $lang" 0 $?
	"$ctl" -c "$tmp/keibi.yml" report "$id" --format html --lang $lang >"$tmp/r.$lang.html"
	check "report html $lang" 0 $?
done
for item in 分類 発覚日時 発生日時 発生事象 対応経過 想定される原因 被害を受けたシステム; do
	grep -q "$item" "$tmp/r.ja.md" || { echo "FAIL: the ja report lacks $item"; fail=1; }
done
check "the evidence names its segment and SHA-256" 1 \
    "$(grep -c 'sha256 [0-9a-f]\{64\}' "$tmp/r.en.md" | sed 's/^[1-9][0-9]*$/1/')"
check "no raw markup from the log in the HTML" 0 \
    "$(grep -c '<script>\|<img\|</td>\*\*' "$tmp/r.en.html")"
check "the HTML shows the escaped markup as text" 1 \
    "$(grep -c '&lt;script&gt;' "$tmp/r.en.html" | sed 's/^[1-9][0-9]*$/1/')"
check "no raw escapes in the reports" 0 \
    "$(cat "$tmp"/r.* | tr -cd '\033\377' | wc -c | tr -d ' ')"
check "the HTML has the SVG timeline" 1 "$(grep -c '<svg' "$tmp/r.en.html" | sed 's/^[1-9][0-9]*$/1/')"

browser=""
for b in chromium chromium-browser; do
	command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
if [ -z "$browser" ]; then
	echo "SKIP: chromium is not installed (apt-get install chromium); the HTML report was not rendered"
	exit $fail
fi
shot() {	# shot HTML PNG
	timeout 60 "$browser" --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --user-data-dir="$tmp/profile" \
	    --window-size=1000,1400 --screenshot="$2" "file://$1" \
	    >/dev/null 2>&1
}
printf '<!DOCTYPE html><html><body></body></html>\n' >"$tmp/blank.html"
shot "$tmp/r.ja.html" "$tmp/r.png"
shot "$tmp/blank.html" "$tmp/blank.png"
if [ ! -s "$tmp/r.png" ] || [ ! -s "$tmp/blank.png" ]; then
	echo "FAIL: chromium made no screenshot"
	exit 1
fi
big=$(wc -c <"$tmp/r.png" | tr -d ' ')
small=$(wc -c <"$tmp/blank.png" | tr -d ' ')
check "the rendered report is not blank" 1 \
    "$([ "$big" -gt $((small * 4)) ] && echo 1)"
timeout 60 "$browser" --headless --no-sandbox --disable-gpu \
    --user-data-dir="$tmp/profile" --dump-dom "file://$tmp/r.ja.html" \
    >"$tmp/dom" 2>/dev/null
check "the page holds the incident's text" 1 \
    "$(grep -c "$id" "$tmp/dom" | sed 's/^[1-9][0-9]*$/1/')"
check "the page ran no script from the log" 0 "$(grep -c '<script>' "$tmp/dom")"
[ -n "${KEIBI_KEEP_SHOT:-}" ] && cp "$tmp/r.png" "$KEIBI_KEEP_SHOT"
exit $fail
