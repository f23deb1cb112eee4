/*
 * test_jscan.c: the JSON member scanner and the parsers' rewrite buffer:
 * members of every type, nested values skipped whole, escapes undone
 * (surrogate pairs, lone surrogates), malformed text refused, the name
 * cache, and scaled numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jscan.h"
#include "scratch.h"

static struct scratch	sc;

/* A span over an exact-size heap copy of s (freed by the caller). */
static struct span
copy(const char *s)
{
	size_t	len = strlen(s);
	char	*p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return (struct span){ p, len };
}

/* The span as a string. */
static const char *
str(struct span s)
{
	static char	buf[256];

	assert_true(s.len < sizeof buf);
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return buf;
}

static void
test_members(void **state)
{
	struct span	line = copy("{ \"a\" : \"x y\", \"n\":-1.5e3,"
	    "\"t\":true,\"f\":false, \"z\":null,"
	    "\"o\":{\"k\":[1,\"]}\"]},\"l\":[],\"e\":\"\"}");
	struct jscan	js;
	struct span	key, v;
	struct jval	val;

	(void)state;
	assert_int_equal(jscan_open(&js, line), 0);
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_string_equal(str(key), "a");
	assert_int_equal(val.type, JT_STRING);
	assert_string_equal(str(val.v), "x y");
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_int_equal(val.type, JT_NUMBER);
	assert_string_equal(str(val.v), "-1.5e3");
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_int_equal(val.type, JT_TRUE);
	assert_true(jscan_string(&sc, &val, &v));
	assert_string_equal(str(v), "true");
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_int_equal(val.type, JT_FALSE);
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_int_equal(val.type, JT_NULL);
	assert_false(jscan_string(&sc, &val, &v));
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_int_equal(val.type, JT_OBJECT);
	assert_string_equal(str(val.v), "{\"k\":[1,\"]}\"]}");
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_int_equal(val.type, JT_ARRAY);
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_string_equal(str(key), "e");
	assert_int_equal(val.v.len, 0);
	assert_int_equal(jscan_next(&js, &key, &val), 0);
	free((void *)line.p);
}

static void
test_escapes(void **state)
{
	struct span	line = copy("{\"s\":\"a\\\"b\\\\\\/c\\n\\u00e9\\ud83d"
	    "\\ude00\\ud800x\\u12\",\"long\":\"0123456789abcdef0123\\\\\"}");
	struct jscan	js;
	struct span	key, v;
	struct jval	val;

	(void)state;
	scratch_reset(&sc);
	assert_int_equal(jscan_open(&js, line), 0);
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_true(val.escaped);
	assert_true(jscan_string(&sc, &val, &v));
	assert_string_equal(str(v), "a\"b\\/c\n\xc3\xa9\xf0\x9f\x98\x80"
	    "\xef\xbf\xbdxu12");
	/* A backslash before the closing quote found past 8-byte steps. */
	assert_int_equal(jscan_next(&js, &key, &val), 1);
	assert_true(val.escaped);
	assert_true(jscan_string(&sc, &val, &v));
	assert_string_equal(str(v), "0123456789abcdef0123\\");
	assert_int_equal(jscan_next(&js, &key, &val), 0);
	free((void *)line.p);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"a\"}", "{\"a\":}", "{\"a\":\"x}", "{\"a\":1 \"b\":2}",
		"{\"a\":[1,2}", "{\"a\":nope}", "{\"a\":1", "{a:1}", "{\"a",
		"{\"a\":{\"b\":", NULL
	};
	struct jscan	js;
	struct span	key, line;
	struct jval	val;
	int		i, r;

	(void)state;
	line = copy("[1]");
	assert_int_equal(jscan_open(&js, line), -1);
	free((void *)line.p);
	for (i = 0; bad[i] != NULL; i++) {
		line = copy(bad[i]);
		assert_int_equal(jscan_open(&js, line), 0);
		while ((r = jscan_next(&js, &key, &val)) == 1)
			;
		assert_int_equal(r, -1);
		free((void *)line.p);
	}
}

enum { K_NONE, K_A, K_BB };

static const struct jkey keys[] = {
	JKEY("a", K_A),
	JKEY("bb", K_BB),
	{ NULL, 0, 0 }
};

static void
test_keys(void **state)
{
	struct jkey_cache	*c = calloc(1, sizeof *c);

	(void)state;
	assert_non_null(c);
	assert_int_equal(jscan_key(keys, (struct span){ "bb", 2 }), K_BB);
	assert_int_equal(jscan_key(keys, (struct span){ "b", 1 }), K_NONE);
	assert_int_equal(jscan_key_cached(c, keys, (struct span){ "a", 1 }),
	    K_A);
	assert_int_equal(jscan_key_cached(c, keys, (struct span){ "a", 1 }),
	    K_A);
	/* Names that share a slot are looked up again. */
	assert_int_equal(jscan_key_cached(c, keys, (struct span){ "bb",
	    2 }), K_BB);
	assert_int_equal(jscan_key_cached(c, keys, (struct span){ "xy",
	    2 }), K_NONE);
	assert_int_equal(jscan_key_cached(c, keys, (struct span){ "a",
	    1 }), K_A);
	free(c);
}

static void
test_scaled(void **state)
{
	struct span	out;

	(void)state;
	scratch_reset(&sc);
	assert_true(scratch_scaled(&sc, (struct span){ "0.084044", 8 }, 9,
	    &out));
	assert_string_equal(str(out), "84044000");
	assert_true(scratch_scaled(&sc, (struct span){ "12", 2 }, 6, &out));
	assert_string_equal(str(out), "12000000");
	assert_true(scratch_scaled(&sc, (struct span){ "0", 1 }, 6, &out));
	assert_string_equal(str(out), "0");
	assert_true(scratch_scaled(&sc, (struct span){ "1.23456", 7 }, 3,
	    &out));
	assert_string_equal(str(out), "1234");
	assert_false(scratch_scaled(&sc, (struct span){ "1e3", 3 }, 3, &out));
	assert_false(scratch_scaled(&sc, (struct span){ "-1", 2 }, 3, &out));
	assert_false(scratch_scaled(&sc, (struct span){ ".", 1 }, 3, &out));
	assert_false(scratch_scaled(&sc, (struct span){ "9999999999999", 13 },
	    9, &out));
	/* A full buffer refuses, it does not cut. */
	while (scratch_alloc(&sc, 1) != NULL)
		;
	assert_false(scratch_scaled(&sc, (struct span){ "5", 1 }, 9, &out));
	assert_false(scratch_cat(&sc, (struct span){ "a", 1 },
	    (struct span){ "b", 1 }, &out));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_scaled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
