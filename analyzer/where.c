/* SPDX-License-Identifier: MIT */
/*
 * where.c - the --where selection language: a hand-written lexer, a
 * recursive-descent parser into a small tree (n-ary and/or nodes, so
 * chains do not deepen it), and an evaluator over one message.  Grammar,
 * semantics, ownership and diagnostics: where.h.
 *
 * The lexer runs one token ahead of the parser, so the first error from
 * the left is the one reported.  Recursion follows the nesting of
 * parentheses and `not`, which the parser caps at WHERE_MAX_DEPTH; the
 * tree it builds is at most a small multiple of that deep, so evaluating
 * and freeing it recurse no further.
 *
 * The only module that includes <pcre2.h>: patterns are compiled here, at
 * compile time, and matched under a match context holding the run's
 * budgets; PCRE2 types never leave this file.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "analyzer/where.h"
#include "analyzer/core/ckd.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a token or value error messages quote. */
#define QUOTE_MAX 40
/* How much of a pattern a budget message quotes. */
#define PATTERN_MAX 80

enum tok_type {
	T_END, T_WORD, T_STRING, T_REGEX, T_OP, T_LPAREN, T_RPAREN
};

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_RE, OP_NRE };

static const char *const op_names[] = {
	"=", "!=", "<", "<=", ">", ">=", "~", "!~",
};

enum field {
	F_ID, F_STATE, F_QUEUE, F_FROM, F_RCPT, F_DOMAIN, F_SUBJECT,
	F_MESSAGE_ID, F_SIZE, F_AGE, F_RCPTS, F_FINDING, F_HEADER
};

enum fkind {
	K_STRING,	/* one string, possibly unknown (NULL) */
	K_ENUM,		/* state, queue: a name from model.c */
	K_MULTI,	/* any of several strings */
	K_NUMBER
};

struct field_def {
	const char *name;
	enum field field;
	enum fkind kind;
	bool fold;	/* = and != fold ASCII case */
};

static const struct field_def field_defs[] = {
	{ "id", F_ID, K_STRING, false },
	{ "state", F_STATE, K_ENUM, true },
	{ "queue", F_QUEUE, K_ENUM, true },
	{ "from", F_FROM, K_STRING, false },
	{ "rcpt", F_RCPT, K_MULTI, false },
	{ "domain", F_DOMAIN, K_MULTI, true },
	{ "subject", F_SUBJECT, K_STRING, false },
	{ "message_id", F_MESSAGE_ID, K_STRING, false },
	{ "size", F_SIZE, K_NUMBER, false },
	{ "age", F_AGE, K_NUMBER, false },
	{ "rcpts", F_RCPTS, K_NUMBER, false },
	{ "finding", F_FINDING, K_MULTI, false },
};

static const struct field_def header_def = {
	"header.NAME", F_HEADER, K_MULTI, false
};

#define FIELD_LIST "id, state, queue, from, rcpt, domain, subject, " \
	"message_id, size, age, rcpts, finding, header.NAME"

struct tok {
	enum tok_type type;
	size_t pos;		/* offset of its first byte in the expression */
	size_t len;		/* bytes of source it spans */
	enum op op;		/* T_OP */
	char *text;		/* T_STRING, T_REGEX: unescaped, owned */
	size_t tlen;
	uint32_t flags;		/* T_REGEX: PCRE2 compile options */
};

struct parser {
	const char *src;
	size_t len;
	size_t pos;		/* next byte to lex */
	struct tok t;		/* the current token */
	int depth;
	bool failed;
	struct imcq_err *err;
};

enum node_type { N_AND, N_OR, N_NOT, N_CMP };

struct node {
	enum node_type type;
	struct node **kids;	/* N_AND, N_OR; N_NOT has one */
	size_t nkids, cap;
	/* N_CMP */
	const struct field_def *fd;
	char *fname;		/* as written: "subject", "header.X-Foo" */
	const char *hname;	/* F_HEADER: the NAME, inside fname */
	enum op op;
	char *str;		/* string value */
	size_t slen;
	uint64_t num;		/* size, rcpts */
	int64_t dur;		/* age */
	int ival;		/* state, queue */
	pcre2_code *re;
	char *re_src;		/* the regex as written, for messages */
};

struct imcq_where {
	struct node *root;
	pcre2_match_context *mctx;
	unsigned re_match, re_depth;
};

struct evalctx {
	const struct imcq_where *w;
	const struct imcq_message *m;
	int64_t now;
	pcre2_match_data *md;	/* created on the first regex match */
	struct imcq_err *err;
};

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
mem_eq_fold(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

static bool
is_control(int c)
{
	return (c < 0x20 && !is_space(c)) || c == 0x7f;
}

/* Can byte c continue a bare word? */
static bool
is_word_byte(int c)
{
	return !is_space(c) && !is_control(c) && c != '(' && c != ')' &&
	    c != '=' && c != '!' && c != '<' && c != '>' && c != '~' &&
	    c != '"';
}

static int
perr(struct parser *p, size_t pos, const char *fmt, ...) IMCQ_PRINTF(3, 4);

/* Record the first syntax error: "column N: ...". */
static int
perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char what[480];
	va_list ap;

	if (p->failed)
		return IMCQ_SKIP;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return imcq_err_set(p->err, IMCQ_SKIP, "column %zu: %s", pos + 1,
			    what);
}

/* The current token as error messages quote it. */
static void
tok_describe(const struct parser *p, char *out, size_t n)
{
	const struct tok *t = &p->t;

	if (t->type == T_END) {
		snprintf(out, n, "end of expression");
		return;
	}
	snprintf(out, n, "'%.*s%s'",
		 (int)(t->len > QUOTE_MAX ? QUOTE_MAX : t->len),
		 p->src + t->pos, t->len > QUOTE_MAX ? "..." : "");
}

static bool
tok_is_kw(const struct tok *t, const char *src, const char *kw)
{
	return t->type == T_WORD &&
	    mem_eq_fold(src + t->pos, t->len, kw, strlen(kw));
}

static bool
tok_is_keyword(const struct parser *p)
{
	return tok_is_kw(&p->t, p->src, "and") ||
	    tok_is_kw(&p->t, p->src, "or") ||
	    tok_is_kw(&p->t, p->src, "not");
}

/* "..." starting at p->pos (on the quote). */
static bool
lex_string(struct parser *p, struct tok *t)
{
	const char *s = p->src;
	size_t j = t->pos + 1;
	size_t k = 0;

	t->type = T_STRING;
	t->text = xmalloc(p->len - t->pos);
	for (;;) {
		if (j >= p->len) {
			perr(p, t->pos, "unterminated string (no closing '\"')");
			return false;
		}
		if (s[j] == '"')
			break;
		if (s[j] == '\\') {
			if (j + 1 >= p->len) {
				perr(p, t->pos,
				     "unterminated string (no closing '\"')");
				return false;
			}
			if (s[j + 1] != '"' && s[j + 1] != '\\') {
				perr(p, j, "unknown escape '\\%c' in a string "
				     "(only \\\" and \\\\)", s[j + 1]);
				return false;
			}
			j++;
		}
		t->text[k++] = s[j++];
	}
	t->text[k] = '\0';
	t->tlen = k;
	t->len = j + 1 - t->pos;
	return true;
}

/* /pattern/flags starting at p->pos (on the slash). */
static bool
lex_regex(struct parser *p, struct tok *t)
{
	const char *s = p->src;
	size_t j = t->pos + 1;
	size_t k = 0;

	t->type = T_REGEX;
	t->text = xmalloc(p->len - t->pos);
	for (;;) {
		if (j >= p->len) {
			perr(p, t->pos, "unterminated regex (no closing '/')");
			return false;
		}
		if (s[j] == '/')
			break;
		if (s[j] == '\\' && j + 1 < p->len) {
			/* \/ is a slash; any other escape is PCRE2's. */
			if (s[j + 1] != '/')
				t->text[k++] = '\\';
			j++;
		}
		t->text[k++] = s[j++];
	}
	t->text[k] = '\0';
	t->tlen = k;
	j++;
	t->flags = 0;
	while (j < p->len && ((s[j] >= 'a' && s[j] <= 'z') ||
			      (s[j] >= 'A' && s[j] <= 'Z') ||
			      (s[j] >= '0' && s[j] <= '9') || s[j] == '_')) {
		switch (s[j]) {
		case 'i': t->flags |= PCRE2_CASELESS; break;
		case 'm': t->flags |= PCRE2_MULTILINE; break;
		case 's': t->flags |= PCRE2_DOTALL; break;
		case 'x': t->flags |= PCRE2_EXTENDED; break;
		default:
			perr(p, j, "unknown regex flag '%c' (flags: i, m, s, x)",
			     s[j]);
			return false;
		}
		j++;
	}
	t->len = j - t->pos;
	return true;
}

/* Move to the next token; false (error set) when it cannot be read. */
static bool
advance(struct parser *p)
{
	struct tok *t = &p->t;
	const char *s = p->src;
	size_t i = p->pos;
	int c;

	free(t->text);
	memset(t, 0, sizeof(*t));
	while (i < p->len && is_space((unsigned char)s[i]))
		i++;
	t->pos = i;
	t->len = 1;
	if (i >= p->len) {
		t->type = T_END;
		t->len = 0;
		p->pos = i;
		return true;
	}
	c = (unsigned char)s[i];
	t->type = T_OP;
	switch (c) {
	case '(':
		t->type = T_LPAREN;
		break;
	case ')':
		t->type = T_RPAREN;
		break;
	case '=':
		t->op = OP_EQ;
		break;
	case '~':
		t->op = OP_RE;
		break;
	case '!':
		if (i + 1 < p->len && s[i + 1] == '=')
			t->op = OP_NE;
		else if (i + 1 < p->len && s[i + 1] == '~')
			t->op = OP_NRE;
		else {
			perr(p, i, "'!' must be followed by '=' or '~' "
			     "(use not to negate)");
			return false;
		}
		t->len = 2;
		break;
	case '<':
	case '>':
		if (i + 1 < p->len && s[i + 1] == '=') {
			t->op = c == '<' ? OP_LE : OP_GE;
			t->len = 2;
		} else
			t->op = c == '<' ? OP_LT : OP_GT;
		break;
	case '"':
		if (!lex_string(p, t))
			return false;
		break;
	case '/':
		if (!lex_regex(p, t))
			return false;
		break;
	default:
		if (is_control(c)) {
			perr(p, i, "unexpected control character 0x%02x", c);
			return false;
		}
		t->type = T_WORD;
		while (i < p->len && is_word_byte((unsigned char)s[i]))
			i++;
		t->len = i - t->pos;
		break;
	}
	p->pos = t->pos + t->len;
	return true;
}

static struct node *
node_new(enum node_type type)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	return n;
}

static void
node_push(struct node *n, struct node *kid)
{
	VEC_PUSH(n->kids, n->nkids, n->cap, kid);
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->fname);
	free(n->str);
	pcre2_code_free(n->re);
	free(n->re_src);
	free(n);
}

/* Comma-separated names of states (1..) or queues (0..) into out. */
static void
enum_list(bool states, char *out, size_t n)
{
	size_t used = 0;
	int i, first = states ? 1 : 0;
	int count = states ? IMCQ_ST_COUNT : IMCQ_Q_COUNT;

	out[0] = '\0';
	for (i = first; i < count && used < n; i++) {
		const char *name = states ? imcq_state_name((enum imcq_state)i)
		    : imcq_queue_name((enum imcq_queue)i);
		int w = snprintf(out + used, n - used, "%s%s",
				 i == first ? "" : ", ", name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Find the field named by the current word; NULL (error set) if none. */
static const struct field_def *
lookup_field(struct parser *p, struct node *n)
{
	const char *w = p->src + p->t.pos;
	size_t len = p->t.len;
	size_t i;

	if (len > 7 && mem_eq_fold(w, 7, "header.", 7)) {
		for (i = 7; i < len; i++) {
			unsigned char c = (unsigned char)w[i];

			if (c == ':' || c > 126) {
				perr(p, p->t.pos + i, "byte 0x%02x ('%c') "
				     "cannot be part of a header field name",
				     c, c > 126 ? '?' : c);
				return NULL;
			}
		}
		n->hname = n->fname + 7;
		return &header_def;
	}
	if (len == 7 && mem_eq_fold(w, 7, "header.", 7)) {
		perr(p, p->t.pos, "'header.' needs a header field name "
		     "(header.NAME)");
		return NULL;
	}
	for (i = 0; i < sizeof(field_defs) / sizeof(field_defs[0]); i++)
		if (mem_eq_fold(w, len, field_defs[i].name,
				strlen(field_defs[i].name)))
			return &field_defs[i];
	perr(p, p->t.pos, "unknown field '%.*s%s' (fields: " FIELD_LIST ")",
	     (int)(len > QUOTE_MAX ? QUOTE_MAX : len), w,
	     len > QUOTE_MAX ? "..." : "");
	return NULL;
}

static bool
compile_regex(struct parser *p, struct node *n)
{
	int code;
	PCRE2_SIZE off;
	uint32_t opts = p->t.flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
	    PCRE2_NEVER_BACKSLASH_C;

	n->re = pcre2_compile((PCRE2_SPTR)p->t.text, p->t.tlen, opts, &code,
			      &off, NULL);
	if (n->re == NULL) {
		PCRE2_UCHAR msg[256];

		if (code == PCRE2_ERROR_NOMEMORY)
			imcq_die("out of memory");
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		perr(p, p->t.pos, "bad regex: %s (at offset %zu of the "
		     "pattern)", (const char *)msg, (size_t)off);
		return false;
	}
	n->re_src = xstrndup(p->src + p->t.pos, p->t.len);
	return true;
}

/* Parse digits into a count; false on anything else or overflow. */
static bool
parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (ckd_mul(&v, v, (uint64_t)10) ||
		    ckd_add(&v, v, (uint64_t)(*s - '0')))
			return false;
	}
	*out = v;
	return true;
}

/* Turn the value text (owned, now n's) into what the field compares
 * with; pos is the value's offset, for errors. */
static bool
set_value(struct parser *p, struct node *n, char *text, size_t tlen,
	  size_t pos)
{
	int q = tlen > QUOTE_MAX ? QUOTE_MAX : (int)tlen;
	const char *more = tlen > QUOTE_MAX ? "..." : "";
	bool states = n->fd->field == F_STATE;
	char list[256];
	char *low;
	size_t i;
	int v;

	n->str = text;
	n->slen = tlen;
	switch (n->fd->field) {
	case F_SIZE:
		if (imcq_parse_size(text, &n->num))
			return true;
		perr(p, pos, "bad size '%.*s%s' (bytes, with an optional k, "
		     "M or G)", q, text, more);
		return false;
	case F_AGE:
		if (imcq_parse_duration(text, &n->dur))
			return true;
		perr(p, pos, "bad age '%.*s%s' (seconds, with an optional s, "
		     "m, h or d)", q, text, more);
		return false;
	case F_RCPTS:
		if (parse_count(text, &n->num))
			return true;
		perr(p, pos, "bad count '%.*s%s' for rcpts (a whole number)",
		     q, text, more);
		return false;
	case F_STATE:
	case F_QUEUE:
		low = xstrdup(text);
		for (i = 0; i < tlen; i++)
			low[i] = (char)ascii_lower((unsigned char)low[i]);
		v = states ? imcq_state_parse(low) : imcq_queue_parse(low);
		free(low);
		if (v >= 0) {
			n->ival = v;
			return true;
		}
		enum_list(states, list, sizeof(list));
		perr(p, pos, "unknown %s '%.*s%s' (%s: %s)", n->fd->name, q,
		     text, more, states ? "states" : "queues", list);
		return false;
	default:
		return true;
	}
}

/* FIELD OP VALUE */
static struct node *
parse_cmp(struct parser *p)
{
	struct node *n;
	char what[64];
	bool regex_op;
	size_t oppos;

	if (p->t.type != T_WORD || tok_is_keyword(p)) {
		tok_describe(p, what, sizeof(what));
		perr(p, p->t.pos, "expected a field name, found %s", what);
		return NULL;
	}
	n = node_new(N_CMP);
	n->fname = xstrndup(p->src + p->t.pos, p->t.len);
	n->fd = lookup_field(p, n);
	if (n->fd == NULL || !advance(p))
		goto fail;

	if (p->t.type != T_OP) {
		tok_describe(p, what, sizeof(what));
		perr(p, p->t.pos, "expected an operator (= != < <= > >= ~ !~) "
		     "after '%s', found %s", n->fname, what);
		goto fail;
	}
	n->op = p->t.op;
	oppos = p->t.pos;
	regex_op = n->op == OP_RE || n->op == OP_NRE;
	if (n->fd->kind == K_NUMBER && regex_op) {
		perr(p, oppos, "'%s' does not apply to %s, a number (use = != "
		     "< <= > >=)", op_names[n->op], n->fd->name);
		goto fail;
	}
	if (n->fd->kind != K_NUMBER && !regex_op && n->op != OP_EQ &&
	    n->op != OP_NE) {
		perr(p, oppos, "'%s' does not apply to %s, which is not a "
		     "number (use = != ~ !~)", op_names[n->op], n->fname);
		goto fail;
	}
	if (!advance(p))
		goto fail;

	if (regex_op) {
		if (p->t.type != T_REGEX) {
			tok_describe(p, what, sizeof(what));
			perr(p, p->t.pos, "'%s' needs a regex /.../ after it, "
			     "found %s", op_names[n->op], what);
			goto fail;
		}
		if (!compile_regex(p, n))
			goto fail;
	} else if (p->t.type == T_REGEX) {
		perr(p, p->t.pos, "a regex needs '~' or '!~', not '%s'",
		     op_names[n->op]);
		goto fail;
	} else if (p->t.type == T_WORD && tok_is_keyword(p)) {
		perr(p, p->t.pos, "'%.*s' is a keyword: quote it (\"%.*s\") to "
		     "compare with it", (int)p->t.len, p->src + p->t.pos,
		     (int)p->t.len, p->src + p->t.pos);
		goto fail;
	} else if (p->t.type == T_WORD) {
		if (!set_value(p, n, xstrndup(p->src + p->t.pos, p->t.len),
			       p->t.len, p->t.pos))
			goto fail;
	} else if (p->t.type == T_STRING) {
		char *text = p->t.text;

		p->t.text = NULL;
		if (!set_value(p, n, text, p->t.tlen, p->t.pos))
			goto fail;
	} else {
		tok_describe(p, what, sizeof(what));
		perr(p, p->t.pos, "expected a value after '%s', found %s",
		     op_names[n->op], what);
		goto fail;
	}
	if (!advance(p))
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *parse_or(struct parser *p);

/* not unary | ( expr ) | comparison */
static struct node *
parse_unary(struct parser *p)
{
	struct node *n, *kid;
	size_t pos = p->t.pos;
	bool is_not = tok_is_kw(&p->t, p->src, "not");
	char what[64];

	if (!is_not && p->t.type != T_LPAREN)
		return parse_cmp(p);
	if (p->depth >= WHERE_MAX_DEPTH) {
		perr(p, pos, "nested deeper than %d levels (parentheses and "
		     "not)", WHERE_MAX_DEPTH);
		return NULL;
	}
	p->depth++;
	if (!advance(p))
		return NULL;
	if (is_not) {
		kid = parse_unary(p);
		if (kid == NULL)
			return NULL;
		n = node_new(N_NOT);
		node_push(n, kid);
	} else {
		n = parse_or(p);
		if (n == NULL)
			return NULL;
		if (p->t.type != T_RPAREN) {
			if (p->t.type == T_END)
				perr(p, pos, "'(' is never closed");
			else {
				tok_describe(p, what, sizeof(what));
				perr(p, p->t.pos, "expected 'and', 'or' or "
				     "')', found %s", what);
			}
			node_free(n);
			return NULL;
		}
		if (!advance(p)) {
			node_free(n);
			return NULL;
		}
	}
	p->depth--;
	return n;
}

/* One n-ary node for a chain of `kw`, or the single operand. */
static struct node *
parse_chain(struct parser *p, const char *kw, enum node_type type,
	    struct node *(*operand)(struct parser *))
{
	struct node *n, *chain;

	n = operand(p);
	if (n == NULL || !tok_is_kw(&p->t, p->src, kw))
		return n;
	chain = node_new(type);
	node_push(chain, n);
	while (tok_is_kw(&p->t, p->src, kw)) {
		if (!advance(p) || (n = operand(p)) == NULL) {
			node_free(chain);
			return NULL;
		}
		node_push(chain, n);
	}
	return chain;
}

static struct node *
parse_and(struct parser *p)
{
	return parse_chain(p, "and", N_AND, parse_unary);
}

static struct node *
parse_or(struct parser *p)
{
	return parse_chain(p, "or", N_OR, parse_and);
}

struct imcq_where *
where_compile(const char *expr, const struct imcq_limits *lim,
	      struct imcq_err *err)
{
	struct parser p;
	struct node *root = NULL;
	struct imcq_where *w;
	char what[64];

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.src = expr ? expr : "";
	p.len = strnlen(p.src, WHERE_MAX_LEN + 1);
	if (p.len > WHERE_MAX_LEN) {
		perr(&p, WHERE_MAX_LEN, "expression longer than %zu bytes",
		     WHERE_MAX_LEN);
		return NULL;
	}
	if (advance(&p)) {
		if (p.t.type == T_END)
			perr(&p, p.t.pos, "empty expression");
		else
			root = parse_or(&p);
	}
	if (root != NULL && p.t.type != T_END) {
		if (p.t.type == T_RPAREN)
			perr(&p, p.t.pos, "unmatched ')'");
		else {
			tok_describe(&p, what, sizeof(what));
			perr(&p, p.t.pos, "expected 'and', 'or' or end of "
			     "expression, found %s", what);
		}
	}
	free(p.t.text);
	if (p.failed) {
		node_free(root);
		return NULL;
	}

	w = xcalloc(1, sizeof(*w));
	w->root = root;
	w->re_match = lim ? lim->re_match : IMCQ_DEF_RE_MATCH;
	w->re_depth = lim ? lim->re_depth : IMCQ_DEF_RE_DEPTH;
	w->mctx = pcre2_match_context_create(NULL);
	if (w->mctx == NULL)
		imcq_die("out of memory");
	pcre2_set_match_limit(w->mctx, w->re_match);
	pcre2_set_depth_limit(w->mctx, w->re_depth);
	return w;
}

static bool
node_uses_headers(const struct node *n)
{
	size_t i;

	if (n == NULL)
		return false;
	if (n->type == N_CMP)
		return n->fd != NULL && n->fd->field == F_HEADER;
	for (i = 0; i < n->nkids; i++)
		if (node_uses_headers(n->kids[i]))
			return true;
	return false;
}

bool
where_uses_headers(const struct imcq_where *w)
{
	return w != NULL && node_uses_headers(w->root);
}

void
where_free(struct imcq_where *w)
{
	if (w == NULL)
		return;
	node_free(w->root);
	pcre2_match_context_free(w->mctx);
	free(w);
}

/* Run n's regex on s: 1 match, 0 none, -1 over budget (err set). */
static int
re_test(const struct node *n, const char *s, size_t len, struct evalctx *c)
{
	size_t sl = strlen(n->re_src);
	int sq = sl > PATTERN_MAX ? PATTERN_MAX : (int)sl;
	const char *more = sl > PATTERN_MAX ? "..." : "";
	PCRE2_UCHAR msg[256];
	int rc;

	if (c->md == NULL) {
		c->md = pcre2_match_data_create(1, NULL);
		if (c->md == NULL)
			imcq_die("out of memory");
	}
	rc = pcre2_match(n->re, (PCRE2_SPTR)s, len, 0, 0, c->md, c->w->mctx);
	if (rc >= 0)
		return 1;
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
		return 0;
	case PCRE2_ERROR_MATCHLIMIT:
		imcq_err_set(c->err, IMCQ_WARN, "regex %.*s%s on field %s "
			     "exceeded its match limit (%u steps)", sq,
			     n->re_src, more, n->fname, c->w->re_match);
		return -1;
	case PCRE2_ERROR_DEPTHLIMIT:
		imcq_err_set(c->err, IMCQ_WARN, "regex %.*s%s on field %s "
			     "exceeded its depth limit (%u)", sq, n->re_src,
			     more, n->fname, c->w->re_depth);
		return -1;
	case PCRE2_ERROR_NOMEMORY:
		imcq_die("out of memory");
	default:
		/* PCRE2_ERROR_HEAPLIMIT, or anything unforeseen. */
		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		imcq_err_set(c->err, IMCQ_WARN, "regex %.*s%s on field %s "
			     "failed: %s", sq, n->re_src, more, n->fname,
			     (const char *)msg);
		return -1;
	}
}

/* The positive test (= or ~) of n on one value. */
static int
test_one(const struct node *n, const char *s, size_t len, struct evalctx *c)
{
	if (n->op == OP_RE || n->op == OP_NRE)
		return re_test(n, s, len, c);
	if (n->fd->fold)
		return mem_eq_fold(s, len, n->str, n->slen);
	return len == n->slen && memcmp(s, n->str, len) == 0;
}

static int
cmp_u64(uint64_t a, enum op op, uint64_t b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	default: BUG("where: regex operator on a number");
	}
}

static int
cmp_i64(int64_t a, enum op op, int64_t b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	default: BUG("where: regex operator on a number");
	}
}

/* Strip white space around a header value. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* Is any value of a multi-valued field a positive match? */
static int
any_value(const struct node *n, struct evalctx *c)
{
	const struct imcq_message *m = c->m;
	const char *s;
	size_t i, len, count;
	int r;

	switch (n->fd->field) {
	case F_RCPT: count = m->im->env.rcpt_to.n; break;
	case F_DOMAIN: count = m->nrcpts; break;
	case F_FINDING: count = message_nfindings(m); break;
	case F_HEADER: count = m->im->hdr.nall; break;
	default: BUG("where: not a multi-valued field");
	}
	for (i = 0; i < count; i++) {
		switch (n->fd->field) {
		case F_RCPT: s = m->im->env.rcpt_to.v[i]; break;
		case F_DOMAIN: s = m->rcpts[i].domain; break;
		case F_FINDING: s = message_finding_code(m, i); break;
		default:
			if (m->c.all[i].name == NULL ||
			    !mem_eq_fold(m->c.all[i].name,
					 strlen(m->c.all[i].name), n->hname,
					 strlen(n->hname)))
				continue;
			s = m->c.all[i].value;
			break;
		}
		if (s == NULL)
			continue;
		len = strlen(s);
		if (n->fd->field == F_HEADER)
			trim(&s, &len);
		r = test_one(n, s, len, c);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
eval_cmp(const struct node *n, struct evalctx *c)
{
	const struct imcq_message *m = c->m;
	bool neg = n->op == OP_NE || n->op == OP_NRE;
	const char *s = NULL;
	uint64_t count;
	int64_t age;
	int r;

	switch (n->fd->field) {
	case F_SIZE:
		return cmp_u64(m->size, n->op, n->num);
	case F_RCPTS:
		if (ckd_add(&count, (uint64_t)m->im->env.rcpt_to.n,
			    m->im->env.rcpt_dropped))
			count = UINT64_MAX;
		return cmp_u64(count, n->op, n->num);
	case F_AGE:
		if (m->queue_time == IMCQ_NOTIME || c->now == IMCQ_NOTIME ||
		    ckd_sub(&age, c->now, m->queue_time))
			return 0;
		return cmp_i64(age, n->op, n->dur);
	case F_STATE:
		if (n->op == OP_EQ || n->op == OP_NE)
			return ((int)m->state == n->ival) != neg;
		s = imcq_state_name(m->state);
		break;
	case F_QUEUE:
		if (n->op == OP_EQ || n->op == OP_NE)
			return ((int)m->queue == n->ival) != neg;
		s = imcq_queue_name(m->queue);
		break;
	case F_ID: s = m->spool_id; break;
	case F_FROM: s = m->im->env.mail_from; break;
	case F_SUBJECT: s = m->im->hdr.subject; break;
	case F_MESSAGE_ID: s = m->im->hdr.message_id; break;
	case F_RCPT:
	case F_DOMAIN:
	case F_FINDING:
	case F_HEADER:
		r = any_value(n, c);
		return r < 0 ? r : (r != 0) != neg;
	}
	if (s == NULL)
		return 0;	/* unknown: satisfies nothing */
	r = test_one(n, s, strlen(s), c);
	return r < 0 ? r : (r != 0) != neg;
}

static int
eval(const struct node *n, struct evalctx *c)
{
	size_t i;
	int r;

	switch (n->type) {
	case N_AND:
		for (i = 0; i < n->nkids; i++)
			if ((r = eval(n->kids[i], c)) <= 0)
				return r;
		return 1;
	case N_OR:
		for (i = 0; i < n->nkids; i++)
			if ((r = eval(n->kids[i], c)) != 0)
				return r;
		return 0;
	case N_NOT:
		r = eval(n->kids[0], c);
		return r < 0 ? r : !r;
	case N_CMP:
		return eval_cmp(n, c);
	}
	BUG("where: bad node type");
}

int
where_match(const struct imcq_where *w, const struct imcq_message *m,
	    int64_t now, struct imcq_err *err)
{
	struct evalctx c;
	int r;

	if (w == NULL)
		return 1;
	if (m == NULL)
		BUG("where_match: no message");
	c.w = w;
	c.m = m;
	c.now = now;
	c.md = NULL;
	c.err = err;
	r = eval(w->root, &c);
	pcre2_match_data_free(c.md);
	return r;
}

const char *
where_help(void)
{
	return
	"--where EXPR selects messages: comparisons FIELD OP VALUE joined\n"
	"with and, or, not and parentheses (not > and > or).\n"
	"\n"
	"Fields:\n"
	"  id           spool id\n"
	"  state        awaiting-delivery, awaiting-conversion, expired,\n"
	"               delivered, missing, archived, pickup, damaged\n"
	"  queue        out, in, out-archive, in-archive, pickup,\n"
	"               pickup-archive, work, other\n"
	"  from         envelope sender (\"\" = null sender)\n"
	"  rcpt         any envelope recipient\n"
	"  domain       any recipient domain (case-insensitive)\n"
	"  subject      decoded Subject\n"
	"  message_id   Message-ID\n"
	"  size         bytes of the message (values take k, M, G)\n"
	"  age          time since queued (values take s, m, h, d)\n"
	"  rcpts        number of envelope recipients\n"
	"  finding      any finding code of the message\n"
	"  header.NAME  any header field NAME (name case-insensitive)\n"
	"\n"
	"Operators: = != < <= > >= on size, age, rcpts; = != ~ !~ on the\n"
	"others.  ~ and !~ take a PCRE2 pattern /.../flags (i m s x; \\/ is\n"
	"a slash).  Quote values with spaces or ( ) = ! < > ~ as \"...\"\n"
	"(escapes \\\" and \\\\).  On rcpt, domain, finding and header.NAME,\n"
	"= and ~ mean some value matches, != and !~ that none does.  A field\n"
	"the message does not know (no sender, subject or queue time)\n"
	"satisfies no comparison.\n"
	"\n"
	"Examples:\n"
	"  state = awaiting-delivery and rcpt ~ /@example\\.com$/i\n"
	"  age > 2d or size >= 5M\n"
	"  from = \"\" and not subject ~ /^undeliverable/i\n";
}
