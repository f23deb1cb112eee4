#!/bin/sh
# Integration: keibictl verify catches every change to an evidence
# archive.  keibid --once builds a small signed archive (several segments,
# a gap record); each case below changes a copy of it the way someone
# covering their tracks would (flip a byte, cut or delete a segment,
# reorder entries or files, replace a segment and fix up its hashes, up to
# rewriting the whole chain after it), and verify must fail on every copy
# while it passes on the untouched one.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/integration/lib.sh"
# The archive's files are read-only: make them removable.
cleanup_extra() { chmod -R u+w "$tmp" 2>/dev/null; }
setup_tmp
if ! openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null ||
    ! openssl pkey -in key.pem -pubout -out pub.pem 2>/dev/null; then
	echo "SKIP: openssl cannot make an Ed25519 key"
	exit 77
fi

cat >keibi.yml <<EOC
state_dir: state
rules: []
sources:
  - {name: fw, path: fw.log, parser: iptables}
evidence:
  segment_size: 4096
  level: 1
  signing_key: key.pem
EOC
gen 1 100
keibid_once
: >fw.log			# a cut: a gap record in the manifest
gen 101 200
keibid_once
m=state/evidence/MANIFEST.jsonl
nseg=$(grep -c '"type":"segment"' $m)
ngap=$(grep -c '"type":"gap"' $m)
[ "$nseg" -ge 6 ] && [ "$ngap" -ge 1 ]
check "a signed archive of several segments and a gap" 0 $?

verify() {	# verify DIR [ARGS]: exit status of keibictl verify
	d=$1
	shift
	"$ctl" verify "$@" "$d" >verify.out 2>&1
	echo $?
}
check "the untouched archive verifies" 0 "$(verify state/evidence -k pub.pem)"
grep -q 'signature: good' verify.out
check "its chain head signature is good" 0 $?

# The n-th segment file named in the manifest of archive a.
seg() {
	grep '"type":"segment"' "$1/MANIFEST.jsonl" | sed -n "${2}p" |
	    sed 's/.*"file":"\([^"]*\)".*/\1/'
}
# A fresh writable copy of the archive.
fresh() {
	chmod -R u+w a 2>/dev/null
	rm -rf a
	cp -a state/evidence a
	chmod -R u+w a
}
# expect WHAT [ARGS]: verify of a must fail, naming a problem.
expect() {
	what=$1
	shift
	rc=$(verify a "$@")
	check "verify catches: $what" 1 "$rc"
	grep -m1 PROBLEM verify.out | cut -c1-160
}
sha() { sha256sum | cut -c1-64; }
# setkey FILE LINE KEY VALUE: set string member KEY of manifest line LINE.
setkey() {
	sed -i "$2s/\"$3\":\"[^\"]*\"/\"$3\":\"$4\"/" "$1"
}
# rehash FILE FROM: recompute "prev" and "hash" of lines FROM.. as keibid
# writes them (the hash of the line without its ,"hash":"..." member).
rehash() {
	prev=$(sed -n "$(($2 - 1))p" "$1" |
	    sed 's/.*"hash":"\([0-9a-f]*\)"}$/\1/')
	n=0
	: >"$1.new"
	while IFS= read -r l; do
		n=$((n + 1))
		if [ $n -lt "$2" ]; then
			printf '%s\n' "$l" >>"$1.new"
			continue
		fi
		body=$(printf '%s\n' "$l" | sed 's/,"hash":"[0-9a-f]*"}$//' |
		    sed "s/\"prev\":\"[0-9a-f]*\"/\"prev\":\"$prev\"/")
		h=$(printf '%s}' "$body" | sha)
		printf '%s,"hash":"%s"}\n' "$body" "$h" >>"$1.new"
		prev=$h
	done <"$1"
	mv "$1.new" "$1"
	echo "$prev"
}

# --- changes to a segment file ---------------------------------------------
fresh
f=a/$(seg a 2)
off=$(($(wc -c <"$f") / 2))
b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 1)))" |
    dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
expect "one bit flipped in a segment"

fresh
truncate -s -7 "a/$(seg a 3)"
expect "a segment cut short"

fresh
rm -f "a/$(seg a 4)"
expect "a segment deleted"

fresh
f2=a/$(seg a 2)
f3=a/$(seg a 3)
mv "$f2" a/swap && mv "$f3" "$f2" && mv a/swap "$f3"
expect "two segment files swapped"

fresh
cat "a/$(seg a 2)" >>"a/$(seg a 5)"
expect "bytes added to a segment (a whole gzip member)"

# --- changes to the manifest and SHA256SUMS ---------------------------------
fresh
sed -i '3{h;d};4G' a/MANIFEST.jsonl
expect "two manifest entries swapped"

fresh
sed -i '2d' a/MANIFEST.jsonl
expect "a manifest entry removed"

fresh
sed -i '$d' a/MANIFEST.jsonl
expect "the last manifest entry removed"

fresh
sed -i 's/"reason":"truncated"/"reason":"rotation"/' a/MANIFEST.jsonl
expect "a gap record edited"

fresh
sed -i '1s/^[0-9a-f]/0/;1s/^00/11/' a/SHA256SUMS
expect "a line of SHA256SUMS changed"

fresh
gzip -1 <fw.log >"a/$(dirname "$(seg a 1)")/extra.gz"
expect "a segment file the manifest does not name"

# --- a segment replaced, and its hashes fixed up ------------------------------
# The first line of the segment gets another source port of the same
# length, so the sizes, counts and offsets stay true.
replace() {	# replace N: segment N of a holds other bytes with new hashes
	f=$(seg a "$1")
	zcat "a/$f" | sed '1s/SPT=50122/SPT=50123/' >raw
	gzip -1 -n <raw >"a/$f"
	line=$(grep -n "\"file\":\"$f\"" a/MANIFEST.jsonl | cut -d: -f1)
	setkey a/MANIFEST.jsonl "$line" sha256_raw "$(sha <raw)"
	setkey a/MANIFEST.jsonl "$line" sha256_gz "$(sha <"a/$f")"
	sed -i "${line}s/\"size\":[0-9]*,/\"size\":$(wc -c <"a/$f"),/" \
	    a/MANIFEST.jsonl
	grep -v "  $f\$" a/SHA256SUMS >sums
	printf '%s  %s\n' "$(sha <"a/$f")" "$f" >>sums
	mv sums a/SHA256SUMS
	echo "$line"
}
fresh
replace 2 >/dev/null
zcat "a/$(seg a 2)" | grep -q 'SPT=50123'
check "the replacement segment holds the changed line" 0 $?
(cd a && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
check "sha256sum -c alone is fooled by the replacement" 0 $?
expect "a segment replaced, its SHA-256 values fixed in the manifest"

fresh
line=$(replace 2)
rehash a/MANIFEST.jsonl "$line" >/dev/null
head -n "$line" a/MANIFEST.jsonl >m.cut
mv m.cut a/MANIFEST.jsonl.part
# Only the entry itself is rehashed: the next entry's "prev" still names
# the old hash.
tail -n "+$((line + 1))" state/evidence/MANIFEST.jsonl >>a/MANIFEST.jsonl.part
mv a/MANIFEST.jsonl.part a/MANIFEST.jsonl
expect "a segment replaced and its manifest entry rehashed"

fresh
line=$(replace 2)
head=$(rehash a/MANIFEST.jsonl "$line")
expect "a segment replaced and the whole chain after it rewritten"
check "the rewritten chain is whole: only the chain head is wrong" 1 \
    "$(grep -c PROBLEM verify.out)"
sed -i "s/\"hash\":\"[0-9a-f]*\"/\"hash\":\"$head\"/" a/CHAIN_HEAD
expect "the same, with CHAIN_HEAD naming the new head (signature)" -k pub.pem
check "only the signature is wrong" 1 "$(grep -c PROBLEM verify.out)"

finish
