#!/bin/sh
# Corpus test: run the shared real-world samples ($KEIBI_CORPORA) through
# the parsers and compare the fields their authors expected.  Skipped
# (exit 77) when the corpora are not there.
set -u
: "${top_builddir:=.}"
if [ -z "${KEIBI_CORPORA:-}" ] || [ ! -d "$KEIBI_CORPORA" ]; then
	echo "SKIP: no corpora at '${KEIBI_CORPORA:-}' (set KEIBI_CORPORA)"
	exit 77
fi
exec "$top_builddir/tests/corpus/corpus_check" "$KEIBI_CORPORA"
