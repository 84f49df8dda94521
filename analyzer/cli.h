/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the command-line layer: command table, shared option parsing,
 * and the helpers every cmd_<name>.c uses.  Only this layer prints to the
 * terminal or exits; the engine returns status codes.
 *
 * Exit codes (PRODUCT.md): 0 done; 1 done but some inputs or members were
 * unreadable (or reinject left recipients not accepted); 2 usage error;
 * 3 fatal (no complete output).
 */
#ifndef IMCQ_CLI_H
#define IMCQ_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "analyzer/pipeline.h"

struct imcq_where;

enum { EXIT_OK = 0, EXIT_PARTIAL = 1, EXIT_USAGE = 2, EXIT_FATAL = 3 };

/* Options shared by the commands, plus each command's own. */
struct cli {
	const char *cmd;
	struct imcq_opts o;
	bool json;
	const char *out_dir;		/* analyze -o, recover --out */
	bool force;
	const char *timeline_format;	/* csv | bodyfile | jsonl */
	const char *to;			/* recover --to */
	bool include_delivered;
	const char *smtp_url;		/* reinject */
	double rate;
	const char *journal;
	bool dry_run;
	bool resend_uncertain;
	const char *user;		/* reinject --user */
	const char *password_file;
	bool starttls;
	bool insecure;
	const char *mail_from_override;
	const char **args;		/* positional arguments */
	size_t nargs;
};

struct command {
	const char *name;
	int (*run)(struct cli *c);
	const char *synopsis;
	const char *help;
	unsigned flags;			/* CMD_* below: which options apply */
};

enum command_flags {
	CMD_ANALYSIS = 1u << 0,		/* takes INPUTs and analysis options */
	CMD_WHERE = 1u << 1,		/* takes --where */
	CMD_OUT = 1u << 2,		/* takes -o/--out DIR and --force */
	CMD_RECOVER = 1u << 3,
	CMD_REINJECT = 1u << 4,
	CMD_TIMELINE = 1u << 5,
};

int cmd_analyze(struct cli *c);
int cmd_list(struct cli *c);
int cmd_show(struct cli *c);
int cmd_timeline(struct cli *c);
int cmd_recover(struct cli *c);
int cmd_reinject(struct cli *c);

/* Usage error: message on stderr with a hint, returns EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *fmt, ...) IMCQ_PRINTF(2, 3);
/* Whether the run is lean (pipeline.h imcq_opts.lean): it prints no
 * message detail and no digest; cli_analyze() makes it not lean when
 * --where reads a header field.  IMCQ_KEEP=all: never lean (tests compare
 * the two). */
void cli_lean(struct cli *c, bool lean);
/* Run the analysis for c (inputs in c->o); prints a fatal message and
 * returns EXIT_FATAL when no input could be read, else EXIT_OK.  Compiles
 * --where into *where (NULL when absent); a bad expression is a usage
 * error (EXIT_USAGE). */
int cli_analyze(struct cli *c, struct imcq_report *rep, struct imcq_where **where);
/* Is m selected by where (NULL selects all)?  Regex budget overruns become
 * anomalies. */
bool cli_selected(struct imcq_report *rep, struct imcq_where *where, struct imcq_message *m);
/* Exit code for a finished run. */
int cli_exit_code(const struct imcq_report *rep);
/* Check and close stdout; EXIT_FATAL when writing failed. */
int cli_finish_stdout(int rc);

#endif
