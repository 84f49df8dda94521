/* SPDX-License-Identifier: MIT */
/*
 * routing_engine.h - the MTA's address-space matching and connector choice,
 * as a pure function of a list of routing-table lines (no report, no I/O).
 *
 * What is documented (DOMAIN.md 5.2, 5.3):
 *   - The address space that best matches the recipient is chosen, in this
 *     order of preference (Q229961, Q152471):
 *       1. an exact string match;
 *       2. a wildcard match; the pattern with more non-wild characters wins;
 *       3. a partial string match (Q229961's example: recipient
 *          "userz@microsoft.com", address space "userz@com");
 *       4. the address type matches and the value is blank ("SMTP:", shown
 *          as ";" in the routing list, Q146299).
 *   - The WHOLE address is compared; the local part is not stripped:
 *     "SMTP:*@company.com" matches user@company.com, "SMTP:company.com" and
 *     "SMTP:@company.com" do not (Q229961).
 *   - "SMTP:*" (wildcard) beats "SMTP:" (blank) whatever their costs
 *     (Q152471).
 *   - Cost 1..100, lower wins; 100 is used only if all else fails (Q262952).
 *   - Then Q193322: exclude the inbound connector, retry count vs Max Open
 *     Retries, activity schedule, fewest attempts, open retry (steps 1-5:
 *     none is knowable from files at rest), lowest cost (6), local over
 *     remote (7).
 *
 * What is inferred (marked so in the rule texts the engine writes):
 *   - Partial string match.  Q229961 gives one positive example and two
 *     negative ones.  For SMTP the reading that fits all three is: the space
 *     has a local part equal to the recipient's and a domain that is a whole
 *     trailing label sequence of the recipient's domain ("userz@com" ~
 *     "userz@microsoft.com"); a space without '@', or with an empty local
 *     part, never matches partially.  For other address types (X400, EX,
 *     MS, ...) a partial match is a prefix of the address that ends at one
 *     of its separators (';' or '/'), the way O/R and DN addresses nest.
 *     Among partial matches, more literal characters win, as for wildcards.
 *   - Comparisons ignore letter case (SMTP domains are case-insensitive;
 *     Exchange is not documented to treat the local part differently for
 *     routing).
 *   - '*' is the only wild character.  A space written "SMTP:value" (type
 *     repeated in the value) is read as "value"; a value of blanks is
 *     blank (Q152471 says a blank space is "a single space bar entry").
 *   - An entry whose cost is unknown sorts after every known cost.
 *   - A connector is local when its server name equals local_server.
 *
 * Ownership: rt_select borrows the entries; struct rt_choice points into
 * them (valid while they live) and owns its rule text (rt_choice_release).
 * Diagnostics: none; malformed entries (no type, no space) simply do not
 * match.
 */
#ifndef IMCQ_ROUTING_ENGINE_H
#define IMCQ_ROUTING_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer/core/model.h"

/* Match kinds, better ones larger. */
enum rt_match {
	RT_NONE = 0,
	RT_BLANK,	/* type only, blank value (Q229961 rule 4) */
	RT_PARTIAL,	/* partial string (rule 3; reading inferred) */
	RT_WILDCARD,	/* '*' pattern over the whole address (rule 2) */
	RT_EXACT,	/* the whole address (rule 1) */
};

struct rt_match_info {
	enum rt_match kind;
	size_t literal;		/* non-wild characters of the space */
};

/* Plain-word name of a match kind: "exact", "wildcard", ... */
const char *rt_match_name(enum rt_match k);

/*
 * Does the address space (space_type, space) match address addr of type
 * addr_type ("SMTP" for envelope recipients)?  Fills *mi (kind RT_NONE
 * when not).  NULL arguments never match.
 */
bool rt_space_match(const char *space_type, const char *space,
		    const char *addr_type, const char *addr,
		    struct rt_match_info *mi);

/* The result of a selection. */
struct rt_choice {
	const struct imcq_route_entry *best;	/* NULL: nothing matches */
	struct rt_match_info mi;		/* of best */
	size_t nmatching;	/* entries that matched at all */
	size_t ntied;		/* other connectors equal to best on every
				 * observable step (the MTA picks among them) */
	const struct imcq_route_entry *beaten;	/* best entry of another
						 * connector that lost, or NULL */
	struct rt_match_info beaten_mi;
	char *rule;		/* plain words; owned */
	size_t addr_at;		/* nothing matches: where addr is in rule (0: elsewhere) */
};

/*
 * Choose the route for addr among the n entries e[] (one routing table).
 * local_server names this server (for Q193322 step 7), or NULL.  Returns
 * true when an address space matches; either way c->rule says why
 * (c->rule is "no address space matches ..." when none does).
 * Deterministic: among entries equal on every step the first in e[] wins.
 */
bool rt_select(const struct imcq_route_entry *const *e, size_t n,
	       const char *addr_type, const char *addr,
	       const char *local_server, struct rt_choice *c);
void rt_choice_release(struct rt_choice *c);

/*
 * The same choice through an index of e[] built once (for many addresses
 * routed on one table): rt_select_indexed(x, addr, ...) gives exactly what
 * rt_select(e, n, addr_type, addr, ...) gives, in time that grows with the
 * length of addr and the entries that could match it, not with n.  The
 * index borrows e[] (which must not change while it lives); it indexes
 * SMTP only and falls back to rt_select for other address types.
 */
struct rt_index;
struct rt_index *rt_index_new(const struct imcq_route_entry *const *e, size_t n,
			      const char *addr_type);
bool rt_select_indexed(const struct rt_index *x, const char *addr,
		       const char *local_server, struct rt_choice *c);
void rt_index_free(struct rt_index *x);

/*
 * rt_select_indexed in two steps, for a caller that reuses a choice: the
 * entries that match addr (their indices into e[], in table order; *hits
 * is the caller's to free, NULL when none), then the choice among them,
 * which depends on addr only when none matches (the rule names it).
 */
struct rt_hit {
	size_t idx;
	struct rt_match_info mi;
};
size_t rt_hits_indexed(const struct rt_index *x, const char *addr, struct rt_hit **hits);
/* Whether the rule that no address space matches an address of addr_len
 * bytes holds the address whole (not cut at the rule's cap): its place is
 * then struct rt_choice.addr_at, whatever the address. */
bool rt_nomatch_names_whole(const struct rt_index *x, size_t addr_len);
bool rt_choose_indexed(const struct rt_index *x, const struct rt_hit *hits, size_t n,
		       const char *addr, const char *local_server, struct rt_choice *c);

/* The server in parentheses of "Internet Mail Connector (EXA1)" or
 * "Internet Mail Service (EXA1)", or NULL.  Caller frees. */
char *rt_server_of_connector(const char *connector);

/* Is this entry a connector of an Internet Mail Service / Connector?
 * (connector name, or an SMTP address space on a connector whose name is
 * not known to be something else) */
bool rt_is_ims_entry(const struct imcq_route_entry *e);

/* Case-insensitive ASCII string equality; NULL equals nothing. */
bool rt_streq(const char *a, const char *b);

#endif
