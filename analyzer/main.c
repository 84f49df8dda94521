/* SPDX-License-Identifier: MIT */
/*
 * main.c - argv to options, and the command table (git's commands[]).
 * Each command lives in cmd_<name>.c.
 */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/cli.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "analyzer/mime.h"
#include "analyzer/where.h"

#ifdef IMCQ_MIMALLOC
#include <mimalloc.h>
#include <pthread.h>

#include "analyzer/core/xthread.h"
#endif

const char *imcq_version(void);

static const struct command commands[] = {
	{ "analyze", cmd_analyze, "imcq analyze [options] INPUT...",
	  "Full analysis of one or more backups (each INPUT one snapshot).\n"
	  "Without -o or --json: a terminal summary (states, a qshape-style\n"
	  "domain x age table, the top findings and what to do); it prints\n"
	  "no digest, so it hashes only the messages, not inputs and members.\n"
	  "  -o, --output DIR   write report.json, report.html, messages.jsonl,\n"
	  "                     timeline.csv and manifest.json into DIR (a new or\n"
	  "                     empty folder; --force allows a non-empty one)\n"
	  "      --json         print the report document (report.json) on stdout\n",
	  CMD_ANALYSIS | CMD_WHERE | CMD_OUT },
	{ "list", cmd_list, "imcq list [options] INPUT...",
	  "One line per message, like mailq / postqueue -p: spool id, queue,\n"
	  "state, age, size, envelope sender, first recipient (+ how many more),\n"
	  "subject.  --json prints one JSON object per line (JSON Lines).\n"
	  "Without --json it hashes only the messages, not inputs and members.\n",
	  CMD_ANALYSIS | CMD_WHERE },
	{ "show", cmd_show, "imcq show [options] INPUT... ID",
	  "Everything about one message, like postcat: sources with offsets and\n"
	  "hashes, the envelope (with Bcc and the bytes not understood), headers,\n"
	  "Received hops, MIME parts, recipients with their routes, findings.\n"
	  "ID is a spool id (or a file name for pickup/plain files).  --json\n"
	  "prints the message object, or an array of them when ID names several\n"
	  "records (an Out file and its Archive copy, or one per snapshot).\n",
	  CMD_ANALYSIS | CMD_WHERE },
	{ "recover", cmd_recover, "imcq recover --to FORMAT --out DIR [options] INPUT...",
	  "Write the selected messages for re-injection.  FORMAT: pickup (Exchange\n"
	  "5.5 IMS and IIS Pickup: X-Sender/X-Receiver, CRLF, dot-stuffed),\n"
	  "replay (Exchange 2007+ Replay folder), eml (RFC 822 bytes as stored),\n"
	  "mbox (mboxrd), maildir.  DIR must be new or empty; nothing is ever\n"
	  "overwritten.  DIR/manifest.json lists every output with hashes and the\n"
	  "recipients included and left out.\n"
	  "      --include-delivered  keep recipients the logs show as delivered\n",
	  CMD_ANALYSIS | CMD_WHERE | CMD_OUT | CMD_RECOVER },
	{ "reinject", cmd_reinject, "imcq reinject --smtp URL [options] INPUT...",
	  "Send the selected messages with their original envelopes to a live\n"
	  "SMTP server (smtp://HOST:PORT, smtps://HOST:PORT).  A journal makes\n"
	  "re-runs safe: accepted (message, recipient) pairs are never sent again;\n"
	  "pairs sent without an answer are reported as uncertain and re-sent only\n"
	  "with --resend-uncertain.\n"
	  "      --journal FILE       default ./imcq-reinject.journal\n"
	  "      --rate N             at most N messages per second\n"
	  "      --dry-run            show what would be sent, send nothing\n"
	  "      --resend-uncertain   re-send pairs with no recorded answer\n"
	  "      --starttls           require STARTTLS on smtp://\n"
	  "      --insecure           do not verify the server certificate\n"
	  "      --user NAME --password-file FILE   SMTP AUTH\n"
	  "      --mail-from ADDR     send with ADDR as the envelope sender (MAIL FROM)\n"
	  "                           of every message, not the message's own\n"
	  "      --include-delivered  keep recipients the logs show as delivered\n",
	  CMD_ANALYSIS | CMD_WHERE | CMD_REINJECT },
	{ "timeline", cmd_timeline, "imcq timeline [--format csv|bodyfile|jsonl] [options] INPUT...",
	  "Every dated event in time order: file times, envelope and header dates,\n"
	  "tracking-log and protocol-log events, Queue.dat times.  bodyfile is The\n"
	  "Sleuth Kit's format for mactime.  Times are UTC, except protocol-log\n"
	  "times read without --log-tz: server local time, written without the Z\n"
	  "(\"local_time\": true in jsonl; bodyfile counts them as UTC).\n",
	  CMD_ANALYSIS | CMD_WHERE | CMD_TIMELINE },
};

static const char common_help[] =
	"Common options:\n"
	"  --where EXPR        select messages (see `imcq help where`)\n"
	"  --now TIME          reference time for ages and expiry (ISO 8601 UTC,\n"
	"                      e.g. 2026-11-27T15:00:00Z); default: the newest time\n"
	"                      found in the evidence, never the wall clock\n"
	"  --json              machine output on stdout\n"
	"  --progress auto|always|never   progress on stderr (auto: when a terminal):\n"
	"                      members read, the share of an archive walked, the\n"
	"                      analysis, the report's messages written\n"
	"  -q, --quiet         no warnings on stderr\n"
	"  --format NAME       let only reader NAME bid on each member; what it does\n"
	"                      not recognise stays unknown (see `imcq help formats`)\n"
	"  --threads N         1: one thread does everything; 2 (the default with\n"
	"                      two CPUs or more): a second thread decompresses,\n"
	"                      hashes and parses while reading, takes half of the\n"
	"                      analysis, and renders the report (--json, -o)\n"
	"                      while it is written; the output is the same\n"
	"Analysis options:\n"
	"  --timeout-normal DUR     IMS message time-out, normal priority (48h, Q184051)\n"
	"  --timeout-urgent DUR     urgent priority (24h; not documented, [R])\n"
	"  --timeout-nonurgent DUR  non-urgent priority (72h; not documented, [R])\n"
	"  --first-retry DUR        first retry interval for NO_DELIVERY_ATTEMPT (15m, Q146669)\n"
	"  --max-message-size SIZE  OVERSIZED above SIZE (default: the IMS\n"
	"                           OutboundSizeLimit found in a registry export)\n"
	"  --max-hops N             LOOP_SUSPECTED above N Received hops (30)\n"
	"  --log-tz +HH:MM          time zone of the IMS protocol logs (server local\n"
	"                           time; without it their times stay local, marked so)\n"
	"Limits (see `imcq help limits`): --max-entry --max-total --max-ratio\n"
	"  --max-depth --max-members --max-envelope --max-rcpts --max-header\n"
	"  --max-header-block --max-mime-depth --max-mime-parts --max-lines\n"
	"  --max-line --max-received --max-header-fields --max-qd-refs\n"
	"  --regex-match-limit --regex-depth-limit --max-anomalies\n";

static const char limits_help[] =
	"Every size taken from input is capped; exceeding a cap is an anomaly in\n"
	"the report, never a crash, and a cap that leaves input unread (--max-entry,\n"
	"--max-total, --max-depth, --max-members, --max-lines, --max-ratio) makes\n"
	"the exit code 1.  Defaults and the options that raise them:\n"
	"  --max-entry SIZE        64M   largest member parsed (larger: hashed, listed;\n"
	"                                a message file among them: a damaged record)\n"
	"  --max-total SIZE        64G   bytes decompressed from one INPUT\n"
	"  --max-ratio N           1000  decompressed/compressed ratio (after 16 MiB)\n"
	"  --max-depth N           8     levels of archives (an INPUT archive is 1)\n"
	"  --max-members N         5000000 members per INPUT\n"
	"  --max-envelope SIZE     4M    spool envelope (ImCr..EwLs)\n"
	"  --max-rcpts N           40000 envelope recipients kept per message\n"
	"  --max-header SIZE       256k  one header field\n"
	"  --max-header-block SIZE 4M    the header block\n"
	"  --max-mime-depth N      32    MIME nesting\n"
	"  --max-mime-parts N      1000  MIME parts summarised\n"
	"  --max-lines N           20000000 lines per log or table file\n"
	"  --max-line SIZE         64k   one log or table line (the rest is cut)\n"
	"  --max-received N        200   Received fields parsed per message\n"
	"  --max-header-fields N   4096  header fields listed per message\n"
	"  --max-qd-refs N         4000000 references carved from one Queue.dat\n"
	"  --regex-match-limit N   1000000 PCRE2 match limit for --where\n"
	"  --regex-depth-limit N   10000 PCRE2 depth limit for --where\n"
	"  --max-anomalies N       100000 anomalies kept (the rest are counted)\n";

static void
print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "imcq %s - offline forensic analyzer for Exchange 4.0/5.0/5.5 IMS mail queues\n\n",
		imcq_version());
	fputs("Usage:\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].synopsis);
	fputs("  imcq --help | --version | help COMMAND|where|limits|formats\n\n"
	      "An INPUT is a folder, a file, or an archive (zip, cab, 7z, tar.*, iso,\n"
	      "rar, cpio...), nested archives included, holding Imcdata\\Out, In, the\n"
	      "Archive folders, Pickup, Queue.dat, IMS logs, GWART0/1.MTA, tracking\n"
	      "logs or registry exports.  Inputs are read only and never extracted.\n"
	      "What only the reports print (header details, finding texts; ~1.4 KB a\n"
	      "message) waits in an unlinked temporary file in $TMPDIR (mode 0600);\n"
	      "IMCQ_SPILL=memory keeps it in memory instead.  The strings the analysis\n"
	      "reads (ids, addresses, logs; ~400 bytes a message) are read in place\n"
	      "from a second such file; IMCQ_STORE=off keeps them in memory.  Past\n"
	      "IMCQ_RECORDS_HEAP bytes (64 MiB) the message records go to a third,\n"
	      "and so do, in files of their own, the log events, the inventory and\n"
	      "its member names past a quarter of that.  A timeline past 32 MiB of\n"
	      "entries (IMCQ_SORT_MEM) is sorted in runs in one more such file.\n\n"
	      "Examples:\n"
	      "  imcq analyze serverB-imcdata.zip\n"
	      "  imcq analyze -o case-4711 serverA.zip serverB.zip\n"
	      "  imcq list --where 'state = awaiting-delivery and age > 1d' backup.7z\n"
	      "  imcq show backup.zip 3SW32JRP\n"
	      "  imcq recover --to pickup --out pickup-dir --where 'state = expired' backup.zip\n\n"
	      "Exit codes: 0 done; 1 some inputs or members unreadable (the report\n"
	      "says which) or recipients not accepted; 2 usage error; 3 fatal.\n", f);
}

static int
help_topic(const char *topic)
{
	size_t i;

	if (strcmp(topic, "where") == 0) {
		fputs(where_help(), stdout);
		return EXIT_OK;
	}
	if (strcmp(topic, "limits") == 0) {
		fputs(limits_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(topic, "formats") == 0) {
		for (i = 0; i < imcq_format_count(); i++)
			printf("  %-16s %s\n", imcq_format_at(i)->name, imcq_format_at(i)->summary);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(topic, commands[i].name) == 0) {
			printf("Usage: %s\n\n%s\n%s", commands[i].synopsis, commands[i].help,
			       (commands[i].flags & CMD_ANALYSIS) ? common_help : "");
			return EXIT_OK;
		}
	fprintf(stderr, "imcq: no help on '%s' (commands: analyze list show recover reinject timeline; topics: where limits formats)\n", topic);
	return EXIT_USAGE;
}

int
cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fputs("imcq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'imcq help %s'.\n", c && c->cmd ? c->cmd : "");
	return EXIT_USAGE;
}

enum opt_kind { O_FLAG, O_STR, O_DUR, O_SIZE, O_UINT, O_TIME, O_DOUBLE, O_TZ };

struct opt {
	const char *name;
	char shortname;
	enum opt_kind kind;
	unsigned need;		/* command flags that allow it; 0 = all */
	size_t off;		/* offset into struct cli */
	size_t width;		/* for O_SIZE / O_UINT targets */
};

#define OFF(f) offsetof(struct cli, f)
#define W(f) sizeof(((struct cli *)0)->f)
static const struct opt opts[] = {
	{ "where", 0, O_STR, CMD_WHERE, OFF(o.where), 0 },
	{ "now", 0, O_TIME, CMD_ANALYSIS, OFF(o.now), 0 },
	{ "json", 0, O_FLAG, CMD_ANALYSIS, OFF(json), 0 },
	{ "quiet", 'q', O_FLAG, 0, OFF(o.quiet), 0 },
	{ "format", 0, O_STR, CMD_ANALYSIS | CMD_TIMELINE, 0, 0 },	/* special */
	{ "progress", 0, O_STR, CMD_ANALYSIS, 0, 0 },			/* special */
	{ "threads", 0, O_UINT, CMD_ANALYSIS, OFF(o.threads), W(o.threads) },
	{ "output", 'o', O_STR, CMD_OUT, OFF(out_dir), 0 },
	{ "out", 0, O_STR, CMD_OUT, OFF(out_dir), 0 },
	{ "force", 0, O_FLAG, CMD_OUT, OFF(force), 0 },
	{ "to", 0, O_STR, CMD_RECOVER, OFF(to), 0 },
	{ "include-delivered", 0, O_FLAG, CMD_RECOVER | CMD_REINJECT, OFF(include_delivered), 0 },
	{ "smtp", 0, O_STR, CMD_REINJECT, OFF(smtp_url), 0 },
	{ "rate", 0, O_DOUBLE, CMD_REINJECT, OFF(rate), 0 },
	{ "journal", 0, O_STR, CMD_REINJECT, OFF(journal), 0 },
	{ "dry-run", 0, O_FLAG, CMD_REINJECT, OFF(dry_run), 0 },
	{ "resend-uncertain", 0, O_FLAG, CMD_REINJECT, OFF(resend_uncertain), 0 },
	{ "user", 0, O_STR, CMD_REINJECT, OFF(user), 0 },
	{ "password-file", 0, O_STR, CMD_REINJECT, OFF(password_file), 0 },
	{ "starttls", 0, O_FLAG, CMD_REINJECT, OFF(starttls), 0 },
	{ "insecure", 0, O_FLAG, CMD_REINJECT, OFF(insecure), 0 },
	{ "mail-from", 0, O_STR, CMD_REINJECT, OFF(mail_from_override), 0 },
	{ "timeout-normal", 0, O_DUR, CMD_ANALYSIS, OFF(o.timeout_normal), 0 },
	{ "timeout-urgent", 0, O_DUR, CMD_ANALYSIS, OFF(o.timeout_urgent), 0 },
	{ "timeout-nonurgent", 0, O_DUR, CMD_ANALYSIS, OFF(o.timeout_nonurgent), 0 },
	{ "first-retry", 0, O_DUR, CMD_ANALYSIS, OFF(o.first_retry), 0 },
	{ "max-message-size", 0, O_SIZE, CMD_ANALYSIS, OFF(o.max_message_size), W(o.max_message_size) },
	{ "max-hops", 0, O_UINT, CMD_ANALYSIS, OFF(o.max_hops), W(o.max_hops) },
	{ "log-tz", 0, O_TZ, CMD_ANALYSIS, OFF(o.log_tz_minutes), 0 },
	{ "max-entry", 0, O_SIZE, CMD_ANALYSIS, OFF(o.lim.entry_bytes), W(o.lim.entry_bytes) },
	{ "max-total", 0, O_SIZE, CMD_ANALYSIS, OFF(o.lim.total_bytes), W(o.lim.total_bytes) },
	{ "max-ratio", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.ratio), W(o.lim.ratio) },
	{ "max-depth", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.depth), W(o.lim.depth) },
	{ "max-members", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.members), W(o.lim.members) },
	{ "max-envelope", 0, O_SIZE, CMD_ANALYSIS, OFF(o.lim.envelope_bytes), W(o.lim.envelope_bytes) },
	{ "max-rcpts", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.rcpts), W(o.lim.rcpts) },
	{ "max-header", 0, O_SIZE, CMD_ANALYSIS, OFF(o.lim.header_bytes), W(o.lim.header_bytes) },
	{ "max-header-block", 0, O_SIZE, CMD_ANALYSIS, OFF(o.lim.header_block), W(o.lim.header_block) },
	{ "max-mime-depth", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.mime_depth), W(o.lim.mime_depth) },
	{ "max-mime-parts", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.mime_parts), W(o.lim.mime_parts) },
	{ "max-lines", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.lines), W(o.lim.lines) },
	{ "max-line", 0, O_SIZE, CMD_ANALYSIS, OFF(o.lim.line_bytes), W(o.lim.line_bytes) },
	{ "max-received", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.hops), W(o.lim.hops) },
	{ "max-header-fields", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.header_fields), W(o.lim.header_fields) },
	{ "max-qd-refs", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.qrefs), W(o.lim.qrefs) },
	{ "regex-match-limit", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.re_match), W(o.lim.re_match) },
	{ "regex-depth-limit", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.re_depth), W(o.lim.re_depth) },
	{ "max-anomalies", 0, O_UINT, CMD_ANALYSIS, OFF(o.lim.anomalies), W(o.lim.anomalies) },
};

static void
store_uint(void *p, size_t width, uint64_t v)
{
	if (width == sizeof(uint64_t)) {
		uint64_t x = v;
		memcpy(p, &x, sizeof(x));
	} else if (width == sizeof(unsigned)) {
		unsigned x = (unsigned)v;
		memcpy(p, &x, sizeof(x));
	} else {
		size_t x = (size_t)v;
		memcpy(p, &x, sizeof(x));
	}
}

static int
set_option(struct cli *c, const struct command *cmd, const struct opt *op,
	   const char *arg, const char *spelled)
{
	char *base = (char *)c;
	uint64_t u;
	int64_t d;

	if (op->need && !(cmd->flags & op->need))
		return cli_usage_error(c, "option '%s' does not apply to '%s'", spelled, cmd->name);
	switch (op->kind) {
	case O_FLAG:
		*(bool *)(base + op->off) = true;
		return 0;
	case O_STR:
		if (strcmp(op->name, "format") == 0) {
			if (cmd->flags & CMD_TIMELINE && (strcmp(arg, "csv") == 0 ||
							  strcmp(arg, "bodyfile") == 0 ||
							  strcmp(arg, "jsonl") == 0)) {
				c->timeline_format = arg;
				return 0;
			}
			if (imcq_format_find(arg) == NULL)
				return cli_usage_error(c, "unknown format '%s' (see 'imcq help formats')", arg);
			c->o.format = arg;
			return 0;
		}
		if (strcmp(op->name, "progress") == 0) {
			if (strcmp(arg, "auto") == 0)
				c->o.progress = 1;
			else if (strcmp(arg, "always") == 0)
				c->o.progress = 2;
			else if (strcmp(arg, "never") == 0)
				c->o.progress = 0;
			else
				return cli_usage_error(c, "--progress takes auto, always or never, not '%s'", arg);
			return 0;
		}
		*(const char **)(base + op->off) = arg;
		return 0;
	case O_DUR:
		if (!imcq_parse_duration(arg, &d) || d <= 0)
			return cli_usage_error(c, "%s takes a duration such as 90s, 15m, 48h or 2d, not '%s'", spelled, arg);
		*(int64_t *)(base + op->off) = d;
		return 0;
	case O_SIZE:
		if (!imcq_parse_size(arg, &u))
			return cli_usage_error(c, "%s takes a size such as 512k, 64M or 2G, not '%s'", spelled, arg);
		store_uint(base + op->off, op->width, u);
		return 0;
	case O_UINT:
		if (!imcq_parse_size(arg, &u) || u > 0xffffffffu)
			return cli_usage_error(c, "%s takes a whole number, not '%s'", spelled, arg);
		store_uint(base + op->off, op->width, u);
		return 0;
	case O_TIME:
		if (!imcq_parse_iso(arg, &d))
			return cli_usage_error(c, "%s takes a UTC time such as 2026-11-27T15:00:00Z, not '%s'", spelled, arg);
		*(int64_t *)(base + op->off) = d;
		return 0;
	case O_DOUBLE: {
		char *end;
		double v;

		errno = 0;
		v = strtod(arg, &end);
		if (errno || *end || v <= 0)
			return cli_usage_error(c, "%s takes a positive number, not '%s'", spelled, arg);
		*(double *)(base + op->off) = v;
		return 0;
	}
	case O_TZ: {
		int sign = 1, h, m;

		if (*arg == 'Z' && arg[1] == '\0') {
			c->o.log_tz_minutes = 0;
			c->o.have_log_tz = true;
			return 0;
		}
		if (*arg == '+' || *arg == '-')
			sign = *arg++ == '-' ? -1 : 1;
		if (strlen(arg) != 5 || arg[2] != ':' || arg[0] < '0' || arg[0] > '9' ||
		    arg[1] < '0' || arg[1] > '9' || arg[3] < '0' || arg[3] > '5' ||
		    arg[4] < '0' || arg[4] > '9')
			return cli_usage_error(c, "%s takes an offset such as -05:00, not '%s'", spelled, arg);
		h = (arg[0] - '0') * 10 + (arg[1] - '0');
		m = (arg[3] - '0') * 10 + (arg[4] - '0');
		if (h > 14)
			return cli_usage_error(c, "%s: offset out of range", spelled);
		c->o.log_tz_minutes = sign * (h * 60 + m);
		c->o.have_log_tz = true;
		return 0;
	}
	}
	return 0;
}

static int
parse_args(struct cli *c, const struct command *cmd, int argc, char **argv)
{
	int i;
	bool dashdash = false;
	size_t cap = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *op = NULL;
		const char *val = NULL;
		size_t k;
		int rc;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			VEC_PUSH(c->args, c->nargs, cap, a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			exit(help_topic(cmd->name));
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);

			for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
				if (strlen(opts[k].name) == n && strncmp(opts[k].name, a + 2, n) == 0) {
					op = &opts[k];
					break;
				}
			if (op == NULL)
				return cli_usage_error(c, "unknown option '%s'", a);
			if (eq)
				val = eq + 1;
		} else {
			for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
				if (opts[k].shortname == a[1]) {
					op = &opts[k];
					break;
				}
			if (op == NULL || a[2] != '\0')
				return cli_usage_error(c, "unknown option '%s'", a);
		}
		if (op->kind == O_FLAG) {
			if (val)
				return cli_usage_error(c, "option '--%s' takes no value", op->name);
		} else if (val == NULL) {
			if (i + 1 >= argc)
				return cli_usage_error(c, "option '%s' needs a value", a);
			val = argv[++i];
		}
		rc = set_option(c, cmd, op, val, a);
		if (rc)
			return rc;
	}
	return 0;
}

/* Which allocator serves the process (CMake's IMCQ_MALLOC): mimalloc,
 * linked ahead of libc, or the C library's. */
static void
print_allocator(FILE *f)
{
#ifdef IMCQ_MIMALLOC
	int v = mi_version();

	fprintf(f, "allocator: mimalloc %d.%d.%d\n", v / 100, v / 10 % 10, v % 10);
#else
	fputs("allocator: system (the C library's malloc)\n", f);
#endif
}

#ifdef IMCQ_MIMALLOC
/* xgive_back (core/xalloc.h) with mimalloc: while `now`, free pages and
 * segments are decommitted as they empty, not after the delays (a page
 * freed under a delay waits for its owning thread's next allocations);
 * then collect what other threads freed into this thread's pages */

/* The delays give_back and big_run change, under one lock: report_gather
 * calls give_back on both analysis threads at once, and the second thread
 * must not save the first one's zeros and leave them for the rest of the
 * run.  run_delay: the decommit delay of the run now (main sets it; -1:
 * the environment's, left alone); saved_delay, saved_sdelay: the decommit
 * and segment decommit delays give_back(true) saved (-1: none saved). */
static pthread_mutex_t delay_mu = PTHREAD_MUTEX_INITIALIZER;
static long run_delay = -1, saved_delay = -1, saved_sdelay = -1;

static void
give_back(bool now)
{
	xmutex_lock(&delay_mu);
	if (now && saved_delay < 0) {
		saved_delay = mi_option_get(mi_option_decommit_delay);
		saved_sdelay = mi_option_get(mi_option_segment_decommit_delay);
		mi_option_set(mi_option_decommit_delay, 0);
		mi_option_set(mi_option_segment_decommit_delay, 0);
	}
	xmutex_unlock(&delay_mu);
	mi_collect(true);
	xmutex_lock(&delay_mu);
	if (!now && saved_delay >= 0) {
		mi_option_set(mi_option_decommit_delay, run_delay >= 0 ? run_delay : saved_delay);
		mi_option_set(mi_option_segment_decommit_delay, saved_sdelay);
		saved_delay = saved_sdelay = -1;
	}
	xmutex_unlock(&delay_mu);
}

/* xbig_run (core/xalloc.h): freed pages go back after DELAY_BIG_MS */
#define DELAY_SMALL_MS	50
#define DELAY_BIG_MS	5

static void
big_run(void)
{
	xmutex_lock(&delay_mu);
	if (run_delay >= 0) {
		run_delay = DELAY_BIG_MS;
		if (saved_delay < 0)	/* else give_back(false) sets it */
			mi_option_set(mi_option_decommit_delay, run_delay);
	}
	xmutex_unlock(&delay_mu);
}
#endif

int
main(int argc, char **argv)
{
	struct cli c;
	const struct command *cmd = NULL;
	size_t i;
	int rc;

#ifdef IMCQ_MIMALLOC
	/* Issue #9: a big run (its records leave the heap: xbig_run) hands
	 * freed pages back to the system after 5 ms, not after mimalloc's
	 * default 25 ms, which a run that frees as fast as it allocates
	 * keeps postponing (-8 % peak memory at a million messages).  Not at
	 * once either (0 until round 12): the pages a member's buffer or a
	 * parse frees are wanted again within microseconds, and every page
	 * given back is a madvise() and a fault to take it again: 5 ms
	 * halved the page faults and saved ~1.6 s of system time at a
	 * million, with the same peak (bench/HISTORY.md, round 12).  Until
	 * then, 50 ms (round 19): at 100,000 messages, whose peak the
	 * stores' floor sets (STORE_RSS_FLOOR), 9,000 faults and ~0.3 CPU s
	 * less than 5 ms, the same peak.  MIMALLOC_DECOMMIT_DELAY in the
	 * environment still wins. */
	if (getenv("MIMALLOC_DECOMMIT_DELAY") == NULL) {
		run_delay = DELAY_SMALL_MS;
		mi_option_set(mi_option_decommit_delay, run_delay);
		xbig_run_hook(big_run);
	}
	xgive_back_hook(give_back);
#endif
	/* Issue #9: libarchive turns every zip member's DOS time into a
	 * time_t with mktime(), and with TZ unset glibc stats /etc/localtime
	 * on every call to see whether it changed (two system calls a member,
	 * ~2 % of the reading thread).  TZ=":/etc/localtime" names the same
	 * file -- and, when it is missing, the same UTC -- but is read once.
	 * A TZ the user set is left alone. */
	if (getenv("TZ") == NULL)
		setenv("TZ", ":/etc/localtime", 0);
	setlocale(LC_ALL, "C");
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return cli_finish_stdout(EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("imcq %s\n", imcq_version());
		print_allocator(stdout);
		return cli_finish_stdout(EXIT_OK);
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			print_usage(stdout);
			return cli_finish_stdout(EXIT_OK);
		}
		return cli_finish_stdout(help_topic(argv[2]));
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "imcq: unknown command '%s'\n", argv[1]);
		fprintf(stderr, "Try 'imcq --help'.\n");
		return EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.cmd = cmd->name;
	opts_default(&c.o);
	c.timeline_format = "csv";
	rc = parse_args(&c, cmd, argc - 2, argv + 2);
	if (rc) {
		free(c.args);
		return rc;
	}
	mime_global_init();
	rc = cmd->run(&c);
	free(c.args);
	return cli_finish_stdout(rc);
}
