/* SPDX-License-Identifier: MIT */
#include "analyzer/core/path.h"
#include "analyzer/core/rd.h"
#include "analyzer/core/xalloc.h"

#include <string.h>
#include <stdlib.h>
#include <sys/types.h>

char *
path_normalize(const char *name, bool *suspicious)
{
	size_t n = strlen(name);
	char *out = xmalloc(n + 1);
	size_t o = 0;
	size_t i = 0;
	bool susp = false;

	if (n >= 2 && ((name[0] >= 'A' && name[0] <= 'Z') ||
		       (name[0] >= 'a' && name[0] <= 'z')) && name[1] == ':') {
		i = 2;
		susp = true;
	}
	if (i < n && (name[i] == '/' || name[i] == '\\'))
		susp = true;
	while (i < n) {
		size_t s = i;
		size_t len;

		while (i < n && name[i] != '/' && name[i] != '\\')
			i++;
		len = i - s;
		if (i < n)
			i++;
		if (len == 0 || (len == 1 && name[s] == '.'))
			continue;
		if (len == 2 && name[s] == '.' && name[s + 1] == '.') {
			susp = true;
			continue;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, name + s, len);
		o += len;
	}
	out[o] = '\0';
	if (suspicious)
		*suspicious = susp;
	return out;
}

const char *
path_base(const char *norm)
{
	const char *s = strrchr(norm, '/');

	return s ? s + 1 : norm;
}

/* Split into components (pointers into a copy) */
#define MAXC 64

static bool
ceq(const char *a, const char *lit)
{
	return imcq_strcasecmp(a, lit) == 0;
}

enum imcq_place
path_place(const char *norm)
{
	char *copy = xstrdup(norm);
	char *comp[MAXC];
	size_t nc = 0;
	char *p = copy;
	enum imcq_place pl = IMCQ_PL_UNKNOWN;
	size_t i;
	ssize_t imc = -1;

	while (nc < MAXC) {
		char *s = strchr(p, '/');

		comp[nc++] = p;
		if (s == NULL)
			break;
		*s = '\0';
		p = s + 1;
	}
	/* the last Imcdata component decides; a nested archive name such as
	 * "x.zip!" is just another component */
	for (i = 0; i < nc; i++)
		if (ceq(comp[i], "imcdata"))
			imc = (ssize_t)i;
	if (imc >= 0) {
		size_t k = (size_t)imc + 1;
		size_t rest = nc - k;	/* components after Imcdata, file included */

		if (rest == 1 && ceq(comp[k], "queue.dat"))
			pl = IMCQ_PL_QUEUE_DAT;
		else if (rest == 0 || rest == 1)
			pl = IMCQ_PL_IMCDATA_OTHER;
		else if (ceq(comp[k], "out"))
			pl = (rest >= 3 && ceq(comp[k + 1], "archive")) ? IMCQ_PL_OUT_ARCHIVE : IMCQ_PL_OUT;
		else if (ceq(comp[k], "in"))
			pl = (rest >= 3 && ceq(comp[k + 1], "archive")) ? IMCQ_PL_IN_ARCHIVE : IMCQ_PL_IN;
		else if (ceq(comp[k], "pickup"))
			pl = (rest >= 3 && ceq(comp[k + 1], "archive")) ? IMCQ_PL_PICKUP_ARCHIVE : IMCQ_PL_PICKUP;
		else if (ceq(comp[k], "work"))
			pl = IMCQ_PL_WORK;
		else if (ceq(comp[k], "log") || ceq(comp[k], "logs"))
			pl = IMCQ_PL_LOG;
		else if (ceq(comp[k], "backup"))
			pl = IMCQ_PL_BACKUP;
		else if (ceq(comp[k], "turfdir"))
			pl = IMCQ_PL_TURFDIR;
		else
			pl = IMCQ_PL_IMCDATA_OTHER;
		free(copy);
		return pl;
	}
	for (i = nc; i-- > 0;) {
		if (ceq(comp[i], "mtadata") && i + 1 < nc) {
			pl = IMCQ_PL_MTADATA;
			break;
		}
		if (ceq(comp[i], "tracking.log") && i + 1 < nc) {
			pl = IMCQ_PL_TRACKING;
			break;
		}
	}
	/* A bare Queue.dat anywhere (a copied snapshot) */
	if (pl == IMCQ_PL_UNKNOWN && ceq(comp[nc - 1], "queue.dat"))
		pl = IMCQ_PL_QUEUE_DAT;
	free(copy);
	return pl;
}
