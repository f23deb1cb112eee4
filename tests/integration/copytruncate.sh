#!/bin/sh
# Integration: a file cut by copytruncate several times while keibid was
# stopped.  logrotate keeps the copies at path.1, path.2, ... newest
# first; keibid must read the rest of the generation it was in from its
# copy, then every later generation from its own copy, oldest first, and
# only then the file itself.  Pass: the archive holds every number exactly
# once, every line is evaluated exactly once, gzip -t, sha256sum -c and
# keibictl verify pass, and each cut is a gap record.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

write_rule_numbered
write_config_numbered
copytruncate() {	# as logrotate does: shift the copies, copy, cut
	for k in 3 2 1; do
		[ -f "fw.log.$k" ] && mv -f "fw.log.$k" "fw.log.$((k + 1))"
	done
	cp fw.log fw.log.1 && : >fw.log
}

gen 1 100
keibid_once
check "first read" 0 $?
# Stopped: the rest of this generation, then three cuts.
gen 101 150
copytruncate
gen 151 200
copytruncate
gen 201 260
copytruncate
gen 261 300
keibid_once
check "read after three cuts" 0 $?
set -- $(archived | nums | tally 1 300)
check "archive (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 300)
check "every line evaluated exactly once (missing duplicated)" "0 0" "$*"
check "each cut is a gap record" 3 \
    "$(grep '"type":"gap"' state/evidence/MANIFEST.jsonl | grep -c truncated)"
# In archive order: the tail from the oldest copy, then each later copy.
check "the numbers come in order" 0 "$(archived | nums | descents)"
archive_ok

finish
