#!/bin/sh
# Integration: bytes sealed after the last checkpoint are skipped when they
# are read again, and only then.  A crash between a seal and the checkpoint
# is made exactly, with keibid --once and the positions.json of the run
# before; then the file keeps its device and inode but its bytes change
# (cut in place, or cut by copytruncate).  What was archived of the old
# bytes must never hide the new bytes at the same offsets, and a mark
# must not outlive the file it was read from.  Pass: the archive of the
# source, decompressed in manifest order, holds every number exactly once;
# every line still in a file is evaluated exactly once; gzip -t,
# sha256sum -c and keibictl verify pass.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
setup_tmp

write_rule_numbered
write_config_numbered

once() {
	keibid_once
	check "keibid --once ($1) exits 0" 0 $?
}
marks() {	# marks left in the checkpoint
	grep -c '"start"' state/positions.json
}
# crash: the run just made sealed its bytes, but its checkpoint is lost.
crash() {
	cp saved.json state/positions.json
}
reset() {
	rm -rf state fw.log fw.log.1 alerts.jsonl keibid.err
}
# sealed_then_crash: from nothing, lines 1-100 read and checkpointed,
# lines 101-200 read and sealed, then a crash loses their checkpoint.
sealed_then_crash() {
	reset
	gen 1 100
	once "first read"
	cp state/positions.json saved.json
	gen 101 200
	once "sealed after the checkpoint"
	crash
}

# --- 1: a mark that ends with its file is spent, and not left behind -----
sealed_then_crash
once "after the crash"
check "1: the lines sealed before the crash are skipped, none left" 0 \
    "$(marks)"
set -- $(archived | nums | tally 1 200)
check "1: archive after the crash (missing duplicated)" "0 0" "$*"
: >fw.log			# cut in place: same device and inode
gen 201 400
once "after the cut"
set -- $(archived | nums | tally 1 400)
check "1: archive after a cut in place (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 400)
check "1: every line evaluated exactly once (missing duplicated)" "0 0" "$*"
archive_ok 1

# --- 2: copytruncate while stopped after a crash ---------------------------
sealed_then_crash
cp fw.log fw.log.1 && : >fw.log	# the copy keeps the old bytes
gen 201 400
once "after the crash and the copytruncate"
set -- $(archived | nums | tally 1 400)
check "2: archive (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 1 400)
check "2: every line evaluated exactly once (missing duplicated)" "0 0" "$*"
check "2: no mark left" 0 "$(marks)"
archive_ok 2

# --- 3: cut in place while stopped after a crash (no copy) -----------------
# Lines 101-200 are archived, their alerts rolled back with the crash, and
# their bytes gone from the file: only the archive still holds them.
sealed_then_crash
: >fw.log
gen 201 400
once "after the crash and the cut"
set -- $(archived | nums | tally 1 400)
check "3: archive (missing duplicated)" "0 0" "$*"
set -- $(nums <alerts.jsonl | tally 201 400 | sed 's/ .*//')
check "3: the new lines are all evaluated" 0 "$*"
check "3: no mark left" 0 "$(marks)"
grep -q 'are not in the files any more' keibid.err
check "3: the marks of the old bytes are dropped, and said so" 0 $?
archive_ok 3

finish 20
