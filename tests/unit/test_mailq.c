/*
 * test_mailq.c: the bounded message table of the mail parsers: lookups,
 * copies and their truncation, the join into a record, freeing, eviction
 * of the least recently used entry at the bound, and slot reuse; the
 * recipients of an email.to.address list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailq.h"
#include "record.h"

/* A span of a string literal or buffer. */
static struct span
sp(const char *s)
{
	return (struct span){ s, strlen(s) };
}

/* Field f of e as a string. */
static const char *
val(const struct mailq_entry *e, enum mailq_field f)
{
	static char	buf[512];
	struct span	v = mailq_value(e, f);

	memcpy(buf, v.p != NULL ? v.p : "", v.len);
	buf[v.len] = '\0';
	return buf;
}

static void
test_put_get(void **state)
{
	struct mailq		*q = mailq_new(4);
	struct mailq_entry	*e, *g;
	uint64_t		 dropped = 0;

	(void)state;
	assert_non_null(q);
	assert_null(mailq_get(q, sp("1vX2aB-000Abc-7Q")));
	e = mailq_put(q, sp("1vX2aB-000Abc-7Q"), &dropped);
	assert_non_null(e);
	mailq_set(e, MQ_IP, sp("192.0.2.20"));
	mailq_set(e, MQ_FROM, sp("alice@example.com"));
	g = mailq_get(q, sp("1vX2aB-000Abc-7Q"));
	assert_ptr_equal(e, g);
	assert_string_equal(val(g, MQ_IP), "192.0.2.20");
	assert_int_equal(g->addr.family, 4);
	assert_string_equal(val(g, MQ_FROM), "alice@example.com");
	assert_string_equal(val(g, MQ_USER), "");
	/* Putting an id that is there returns its entry. */
	assert_ptr_equal(mailq_put(q, sp("1vX2aB-000Abc-7Q"), &dropped), e);
	assert_int_equal(mailq_count(q), 1);
	assert_int_equal(dropped, 0);
	/* Empty and too long ids are refused. */
	assert_null(mailq_put(q, sp(""), &dropped));
	assert_null(mailq_put(q, sp("0123456789012345678901234567890123456789"
	    "0123456789"), &dropped));
	mailq_free(q);
}

static void
test_bad_ip_and_cut(void **state)
{
	struct mailq		*q = mailq_new(2);
	struct mailq_entry	*e;
	char			 big[600];

	(void)state;
	e = mailq_put(q, sp("A1"), NULL);
	mailq_set(e, MQ_IP, sp("not-an-address"));
	assert_int_equal(e->addr.family, 0);
	assert_string_equal(val(e, MQ_IP), "");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	mailq_set(e, MQ_SUBJECT, sp(big));
	assert_true(e->cut);
	assert_int_equal(mailq_value(e, MQ_SUBJECT).len, MAILQ_SUBJECT_MAX);
	mailq_free(q);
}

static void
test_join(void **state)
{
	struct mailq		*q = mailq_new(2);
	struct mailq_entry	*e;
	struct record		 rec;

	(void)state;
	e = mailq_put(q, sp("A1"), NULL);
	mailq_set(e, MQ_IP, sp("2001:db8::20"));
	mailq_set(e, MQ_USER, sp("alice"));
	mailq_set(e, MQ_SUBJECT, sp("Quarterly report"));
	record_reset(&rec);
	record_set_lit(&rec, RF_USER_NAME, "bob");
	mailq_join(e, &rec);
	/* What the record has is kept; the rest is joined. */
	assert_true(record_has(&rec, RF_SOURCE_IP));
	assert_int_equal(rec.src.family, 6);
	assert_true(span_eq(record_get(&rec, RF_USER_NAME), "bob"));
	assert_true(span_eq(record_get(&rec, RF_EMAIL_SUBJECT),
	    "Quarterly report"));
	assert_false(record_has(&rec, RF_EMAIL_FROM_ADDRESS));
	assert_false(rec.flags & REC_TRUNCATED);
	/* mailq_keep copies only fields the record has. */
	record_reset(&rec);
	mailq_keep(e, MQ_FROM, &rec, RF_EMAIL_FROM_ADDRESS);
	assert_string_equal(val(e, MQ_FROM), "");
	mailq_free(q);
}

static void
test_evict_lru(void **state)
{
	struct mailq		*q = mailq_new(3);
	struct mailq_entry	*e;
	uint64_t		 dropped = 0;

	(void)state;
	mailq_put(q, sp("A"), &dropped);
	mailq_put(q, sp("B"), &dropped);
	mailq_put(q, sp("C"), &dropped);
	/* A is used again: B is now the oldest. */
	assert_non_null(mailq_get(q, sp("A")));
	e = mailq_put(q, sp("D"), &dropped);
	assert_non_null(e);
	assert_int_equal(dropped, 1);
	assert_int_equal(mailq_count(q), 3);
	assert_null(mailq_get(q, sp("B")));
	assert_non_null(mailq_get(q, sp("A")));
	assert_non_null(mailq_get(q, sp("C")));
	assert_non_null(mailq_get(q, sp("D")));
	mailq_free(q);
}

static void
test_del_reuse(void **state)
{
	struct mailq		*q = mailq_new(2);
	struct mailq_entry	*a, *b;
	uint64_t		 dropped = 0;
	int			 i;
	char			 id[16];

	(void)state;
	a = mailq_put(q, sp("A"), &dropped);
	mailq_set(a, MQ_FROM, sp("alice@example.com"));
	mailq_del(q, a);
	/* Its text stays readable until the slot is used again. */
	assert_string_equal(val(a, MQ_FROM), "alice@example.com");
	assert_null(mailq_get(q, sp("A")));
	assert_int_equal(mailq_count(q), 0);
	mailq_del(q, a);		/* twice is harmless */
	assert_int_equal(mailq_count(q), 0);
	b = mailq_put(q, sp("B"), &dropped);
	assert_ptr_equal(a, b);		/* the freed slot */
	assert_string_equal(val(b, MQ_FROM), "");
	/* Many ids through a table of two: always two, the newest. */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "id%d", i);
		assert_non_null(mailq_put(q, sp(id), &dropped));
		assert_true(mailq_count(q) <= 2);
	}
	assert_non_null(mailq_get(q, sp("id999")));
	assert_non_null(mailq_get(q, sp("id998")));
	assert_null(mailq_get(q, sp("id997")));
	mailq_free(q);
	mailq_free(NULL);
}

/* The recipients of an email.to.address value, joined with '|'. */
static const char *
rcpts(const char *list)
{
	static char	buf[512];
	struct span	l = sp(list), r;
	size_t		n = 0;

	buf[0] = '\0';
	while (mailq_rcpt_next(&l, &r)) {
		assert_true(r.p >= list && r.p + r.len <= list + strlen(list));
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s",
		    n > 0 ? "|" : "", (int)r.len, r.p);
	}
	assert_int_equal(l.len, 0);
	return buf;
}

static void
test_rcpt_next(void **state)
{
	struct span	l = SPAN_NULL, r;

	(void)state;
	assert_string_equal(rcpts("bob@example.org"), "bob@example.org");
	/* Exchange's ';', Sendmail's ',', brackets and spaces. */
	assert_string_equal(rcpts("a@x.example;b@y.example;C@Z.example"),
	    "a@x.example|b@y.example|C@Z.example");
	assert_string_equal(rcpts("<a@x>, <b@y>,c@z"), "a@x|b@y|c@z");
	/* Empty items and "<>" are no recipients. */
	assert_string_equal(rcpts(";; <> ;a@x;"), "a@x");
	assert_string_equal(rcpts("<>"), "");
	assert_string_equal(rcpts(" ; , "), "");
	/* A quoted separator does not split; an unclosed quote runs on. */
	assert_string_equal(rcpts("\"a;b\"@x;c@y"), "\"a;b\"@x|c@y");
	assert_string_equal(rcpts("\"a;b@x;c@y"), "\"a;b@x;c@y");
	assert_string_equal(rcpts("<"), "<");
	assert_false(mailq_rcpt_next(&l, &r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_bad_ip_and_cut),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_evict_lru),
		cmocka_unit_test(test_del_reuse),
		cmocka_unit_test(test_rcpt_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
