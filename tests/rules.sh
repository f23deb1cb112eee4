#!/bin/sh
# Every sample line of every shipped rule behaves as the rule declares.
: "${top_srcdir:=.}" "${top_builddir:=.}"
exec "$top_builddir/keibictl/keibictl" test "$top_srcdir/rules"
