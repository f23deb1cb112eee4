#!/bin/sh
# Integration: files rotated by rename while keibid was stopped, under the
# other names logrotate gives them: dateext (fw.log-YYYYMMDD), dateext
# with a format (fw.log.YYYY-MM-DD), and compressed (fw.log-YYYYMMDD.gz,
# fw.log.1.gz), where the inode is gone and the file is known only by the
# fingerprint of its uncompressed first bytes.  keibid must read the
# unread tail of the file it was in, then each newer rotated file whole,
# oldest first, then the file at the path, and never an older rotated
# file again.  Pass: the archive holds every number exactly once and in
# order, every line is evaluated exactly once, no gap is recorded, and
# gzip -t, sha256sum -c and keibictl verify pass.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

write_rule_numbered
write_config_numbered
rotate() {	# rotate NAME [gz]: rename to NAME (compressed), new file
	mv fw.log "$1" && : >fw.log
	if [ "${2:-}" = gz ]; then gzip -n "$1" || exit 1; fi
}
once() {	# once WHAT N: read, then every number 1..N exactly once
	keibid_once
	check "$1: keibid --once" 0 $?
	check "$1: archive (missing duplicated)" "0 0" \
	    "$(archived | nums | tally 1 "$2")"
	check "$1: evaluated exactly once (missing duplicated)" "0 0" \
	    "$(nums <alerts.jsonl | tally 1 "$2")"
}

gen 1 100
once "first read" 100
# dateext: the tail of the file keibid was in is in fw.log-20251121.
gen 101 150
rotate fw.log-20251121
gen 151 200
once "dateext" 200
# Two rotations while stopped, both compressed at once (no delaycompress):
# the tail is in the first .gz, the second .gz is read whole.
gen 201 260
rotate fw.log-20251122 gz
gen 261 300
rotate fw.log-20251123 gz
gen 301 320
once "dateext, compressed" 320
# dateext with a format, then compressed with numbers: the unread tail
# is in fw.log.2025-11-24 (plain), the newer fw.log.1.gz is read whole.
gen 321 400
rotate fw.log.2025-11-24
gen 401 420
rotate fw.log.1 gz
gen 421 430
once "dated and numbered, compressed" 430
# A .gz whose head is the saved file's but that ends before the saved
# position is not taken for it; the right one is.
gen 431 500
cp fw.log decoy && head -c 200 decoy >fw.log-20251125 && gzip -n fw.log-20251125
rm -f decoy
rotate fw.log-20251126 gz
gen 501 510
once "a short look-alike is not the file" 510
check "no gap recorded" 0 "$(grep -c '"type":"gap"' state/evidence/MANIFEST.jsonl)"
check "the numbers come in order" 0 "$(archived | nums | descents)"
archive_ok

finish
