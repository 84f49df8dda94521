/* SPDX-License-Identifier: MIT */
/*
 * where.h - the --where selection language (in the spirit of Exim's
 * exipick): compile an expression once, then test each message with it.
 * where.c is the only module that includes <pcre2.h>.
 *
 * Grammar (keywords and field names are case-insensitive):
 *
 *	expr    := and-expr { "or" and-expr }
 *	and-expr:= unary { "and" unary }
 *	unary   := "not" unary | "(" expr ")" | FIELD OP VALUE
 *	OP      := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~"
 *	VALUE   := bare word | "quoted string" | /regex/flags
 *
 * so `not` binds tighter than `and`, which binds tighter than `or`.
 * A bare word is a run of bytes other than white space and ( ) = ! < > ~ "
 * that does not start with '/' (awaiting-delivery, 2d, 5M, 3SW32JRP,
 * user@example.com); the keywords and/or/not are not values unless
 * quoted.  A quoted string knows two escapes, \" and \\; "" is the empty
 * string.  A regex is a PCRE2 pattern between slashes, `\/` standing for
 * a slash, followed by flags i (caseless), m (multiline), s (dotall) and
 * x (extended).  Patterns are compiled once, in UTF mode with
 * PCRE2_MATCH_INVALID_UTF, so subjects that are not valid UTF-8 are
 * matched without error (invalid sequences never match a character).
 *
 * Fields:
 *	id          spool id                     string
 *	state       imcq_state_name()            name, =/!= case-insensitive
 *	queue       imcq_queue_name()            name, =/!= case-insensitive
 *	from        envelope MAIL FROM           string ("" = null sender)
 *	rcpt        envelope recipients          string, multi-valued
 *	domain      recipient domains            string, multi-valued,
 *	                                         =/!= case-insensitive
 *	subject     decoded Subject              string
 *	message_id  Message-ID                   string
 *	size        bytes of the RFC 822 part    number, k/M/G (1024-based)
 *	age         now - queue time             duration, s/m/h/d (w)
 *	rcpts       envelope recipient count     number (kept + dropped)
 *	finding     codes of the message's findings, multi-valued, exact
 *	header.NAME every header field NAME (name case-insensitive),
 *	            multi-valued; the value with surrounding white space
 *	            removed
 *
 * Strings take = != ~ !~; = and != compare exactly (byte for byte) except
 * on state, queue and domain, which fold ASCII case.  Numbers take
 * = != < <= > >=.  Anything else is a syntax error.
 *
 * Multi-valued fields (rcpt, domain, finding, header.NAME): `=` and `~`
 * are true when ANY value matches; `!=` and `!~` are true when NO value
 * matches, i.e. `rcpt != x` means `not rcpt = x` (and is true for a
 * message with no recipients).
 *
 * Unknown values: a single-valued field the message does not know (spool
 * id, sender, subject or Message-ID NULL; queue time IMCQ_NOTIME for age)
 * satisfies no comparison at all, not even != or !~.  Use `not` to
 * include such messages: `not subject ~ /x/` is true without a subject,
 * `subject !~ /x/` is not.
 *
 * Bounds: an expression longer than WHERE_MAX_LEN bytes or nested (by
 * parentheses and `not`) deeper than WHERE_MAX_DEPTH is refused, so
 * compiling, matching and freeing recurse at most that deep.  Every regex
 * match runs under lim->re_match and lim->re_depth.
 *
 * Ownership: where_compile() returns a heap object that owns its compiled
 * patterns; the caller releases it with where_free().  where_match() does
 * not keep pointers into the message.  A compiled expression may be used
 * from several threads at once: matching allocates its own match data.
 *
 * Diagnostics: a syntax error (and a pattern PCRE2 refuses) is IMCQ_SKIP
 * with err->msg "column N: <what is wrong>", N the 1-based byte column of
 * the offending token (len + 1 for the end of the expression).  A regex
 * that exceeds its budget on a message is IMCQ_WARN from where_match()
 * (return -1): the caller records an anomaly and treats the message as
 * not selected.  Running out of memory ends the program (xalloc).
 */
#ifndef IMCQ_WHERE_H
#define IMCQ_WHERE_H

#include <stdint.h>

#include "analyzer/core/err.h"
#include "analyzer/core/limits.h"
#include "analyzer/core/model.h"

#define WHERE_MAX_LEN   ((size_t)64 << 10)	/* bytes of an expression */
#define WHERE_MAX_DEPTH 100			/* nesting of ( and not */

struct imcq_where;

/*
 * Compile expr.  lim supplies the regex budgets (NULL: the defaults of
 * limits.h).  Returns NULL on a syntax error, with err->code = IMCQ_SKIP
 * and err->msg = "column N: <what is wrong>".
 */
struct imcq_where *where_compile(const char *expr,
				 const struct imcq_limits *lim,
				 struct imcq_err *err);

/*
 * Test message m: 1 = selected, 0 = not; -1 when a regex exceeded its
 * match or depth budget on this message (err->code = IMCQ_WARN, err->msg
 * names the pattern and the field).  now is the reference time for `age`.
 * A NULL w selects every message.
 */
/* Does w read header.NAME fields (hdr.all: a chilled message must be
 * thawed first, model.h message_thaw)? */
bool where_uses_headers(const struct imcq_where *w);
int where_match(const struct imcq_where *w, const struct imcq_message *m,
		int64_t now, struct imcq_err *err);

/* Release w and its patterns; NULL is fine. */
void where_free(struct imcq_where *w);

/* Static text describing fields and operators, for --help. */
const char *where_help(void);

#endif
