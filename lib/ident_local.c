/* ident_local.c: the host's own accounts (/etc/passwd, /etc/group), which directory
 * entries may not shadow. See ident.h and ident_impl.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident_impl.h"

/* ---- local accounts ---- */

static int
read_colon_file(const char *path, char ***ret_names, uint32_t **ret_ids, size_t *ret_n,
                struct tsr_buf *homes)
{
	char **names = NULL, *line = NULL, *c1, *c3, *end;
	uint32_t *ids = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	unsigned long v;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &lcap, f) > 0) {
		c1 = strchr(line, ':');
		if (!c1 || line[0] == '+' || line[0] == '-' || line[0] == '#')
			continue;
		c3 = strchr(c1 + 1, ':');
		if (!c3)
			continue;
		if (n == cap) {
			char **nn;
			uint32_t *ni;

			/* on failure the old arrays stay valid: the error path frees them */
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (nn)
				names = nn;
			ni = nn ? realloc(ids, cap * sizeof(*ids)) : NULL;
			if (ni)
				ids = ni;
			if (!nn || !ni) {
				r = -ENOMEM;
				break;
			}
		}
		*c1 = '\0';
		errno = 0;
		v = strtoul(c3 + 1, &end, 10);
		ids[n] = (errno || end == c3 + 1 || v > UINT32_MAX) ? 0 : (uint32_t)v;
		names[n] = strdup(line);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
		if (homes) { /* the sixth field, NUL-terminated: name:pw:uid:gid:gecos:home */
			const char *h = c3 + 1;

			for (int k = 0; k < 3 && h; k++) {
				h = strchr(h, ':');
				h = h ? h + 1 : NULL;
			}
			r = h ? tsr_buf_append(homes, h, strcspn(h, ":\n")) : 0;
			if (r == 0 && h)
				r = tsr_buf_append(homes, "", 1);
			if (r < 0)
				break;
		}
	}
	free(line);
	fclose(f);
	if (r < 0) {
		while (n)
			free(names[--n]);
		free(names);
		free(ids);
		return r;
	}
	if (n) {
		qsort(names, n, sizeof(*names), ident_cmp_str_ptr);
		qsort(ids, n, sizeof(*ids), ident_cmp_u32);
	}
	*ret_names = names;
	*ret_ids = ids;
	*ret_n = n;
	return 0;
}

/* l->folded from l->user_names. */
static int
fold_names(struct tsr_ident_local *l)
{
	size_t i;

	l->folded = calloc(l->n_users + 1, sizeof(*l->folded));
	if (!l->folded)
		return -ENOMEM;
	for (i = 0; i < l->n_users; i++) {
		l->folded[i] = strdup(l->user_names[i]);
		if (!l->folded[i])
			return -ENOMEM;
		for (char *c = l->folded[i]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	qsort(l->folded, l->n_users, sizeof(*l->folded), ident_cmp_str_ptr);
	return 0;
}

int
tsr_ident_local_load(const char *passwd, const char *group, struct tsr_ident_local **ret)
{
	struct tsr_ident_local *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	r = read_colon_file(passwd, &l->user_names, &l->uids, &l->n_users, &l->homes);
	if (r == 0)
		r = read_colon_file(group, &l->group_names, &l->gids, &l->n_groups, NULL);
	if (r == 0)
		r = fold_names(l);
	if (r < 0) {
		tsr_ident_local_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void
tsr_ident_local_free(struct tsr_ident_local *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n_users; i++) {
		free(l->user_names[i]);
		free(l->folded ? l->folded[i] : NULL);
	}
	free(l->folded);
	tsr_buf_free(&l->homes);
	for (i = 0; i < l->n_groups; i++)
		free(l->group_names[i]);
	free(l->user_names);
	free(l->group_names);
	free(l->uids);
	free(l->gids);
	free(l);
}

int
tsr_ident_shells_load(const char *path, char ***ret)
{
	struct tsr_buf b = {0};
	char *line = NULL, *text = NULL;
	size_t cap = 0, n;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (f) {
		while (r == 0 && getline(&line, &cap, f) > 0) {
			n = strcspn(line, " \t\r\n#");
			if (n && line[0] == '/') {
				r = tsr_buf_append(&b, line, n);
				if (r == 0)
					r = tsr_buf_append(&b, " ", 1);
			}
		}
		fclose(f);
	}
	free(line);
	if (r == 0)
		r = tsr_buf_steal(&b, &text);
	tsr_buf_free(&b);
	if (r == 0)
		r = tsr_strv_split(text, ret, NULL);
	free(text);
	return r;
}
