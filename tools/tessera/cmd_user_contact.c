/* cmd_user_contact.c: how a person is seen and reached: `tessera user photo` (a PNG or
 * JPEG in the attribute of its type) and `user phone` / `user verify-phone` (a number
 * becomes the user's once its code comes back). Rows in cmd_user.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "phone.h"
#include "photo.h"
#include "cmd_user.h"

const struct option user_photo_opts[] = {
    {"remove", no_argument, NULL, O_REMOVE},
    {NULL, 0, NULL, 0},
};

static int
read_photo(struct admin *a, const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return report(a, EXIT_USAGE, "photo %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return report(a, EXIT_USAGE, "photo %s: not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return report(a, EXIT_USAGE,
		              "photo %s: %lld bytes, larger than the limit of %zu bytes (tessera "
		              "tenant show)",
		              path, (long long)st.st_size, max);
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return EXIT_FAILURE_SYS;
	}
	while (got <= max && (n = read(fd, buf + got, max + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got > max) {
		free(buf);
		return report(a, EXIT_USAGE, "photo %s: larger than the limit of %zu bytes", path,
		              max);
	}
	*ret = buf;
	*ret_len = got;
	return EXIT_DONE;
}

int
user_photo(struct admin *a, int argc, char **argv)
{
	struct tsr_photo_info info;
	struct user *u = NULL;
	struct mods m = {0};
	struct wr w = {0};
	const struct tsr_cfg *cfg = a->t->cfg;
	char *data = NULL, old[96] = "", now[96] = "", why[TSR_PHOTO_WHY_MAX];
	enum tsr_photo_type ptype;
	uint32_t max = 0;
	size_t len = 0;
	bool remove = false;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", user_photo_opts, NULL)) != -1) {
		if (c != O_REMOVE)
			return bad_option(a, "photo", argv);
		remove = true;
	}
	if (argc - optind != (remove ? 1 : 2))
		return tool_usage(a->t, "user photo: LOGIN FILE, or LOGIN --remove");
	argv += optind - 1;
	if (!remove) {
		r = admin_photo_max_bytes(a, &max);
		if (r < 0)
			return dir_fail(
			    a, r, "cannot read the tenant's photo limit (tesseraPhotoMaxBytes)");
		code = read_photo(a, argv[2], max, &data, &len);
		if (code != EXIT_DONE)
			return code;
		r = tsr_photo_probe(data, len, &info, why, sizeof(why));
		if (r < 0) {
			free(data);
			return report(a, EXIT_USAGE, "photo %s: %s; %s", argv[2], why,
			              r == -EFBIG ? "scale it down" : "use a PNG or JPEG file");
		}
	}
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		goto out;
	if (!is_self(a, u) && !may(a, TSR_PERM_USERS_EDIT, u)) {
		code = denied(a, "changing %s's photo needs users.edit at one of their sites",
		              u->login);
		goto out;
	}
	if (u->has_photo) {
		struct tsr_photo_info oi;

		if (tsr_photo_probe(u->photo, u->photo_len, &oi, NULL, 0) == 0)
			(void)snprintf(old, sizeof(old), "%s %ux%u, %zu bytes",
			               tsr_photo_type_name(oi.type), oi.width, oi.height,
			               u->photo_len);
		else
			(void)snprintf(old, sizeof(old), "%zu bytes", u->photo_len);
	}
	if (remove && !u->has_photo) {
		printf("%s has no photo\n", u->login);
		goto out;
	}
	if (!remove) {
		(void)snprintf(now, sizeof(now), "%s %ux%u, %zu bytes",
		               tsr_photo_type_name(info.type), info.width, info.height, len);
		if (info.width < cfg->admin.photo_min_side ||
		    info.height < cfg->admin.photo_min_side)
			tool_err(a->t, "warning: the photo is %ux%u; at least %ux%u is recommended",
			         info.width, info.height, cfg->admin.photo_min_side,
			         cfg->admin.photo_min_side);
	}
	/* Each type in its own attribute (a JPEG in jpegPhoto, a PNG in tesseraPngPhoto), the
	 * old photo gone from the other. */
	if (!remove && info.type == TSR_PHOTO_PNG && !u->png_class) {
		code = report(a, EXIT_CONFLICT,
		              "%s's entry cannot hold a PNG photo: it lacks objectClass "
		              "tesseraUserPhoto (made before this version, or by another client); "
		              "tessera server upgrade gives it to every user, or use a JPEG",
		              u->login);
		goto out;
	}
	r = wr_init(a, &w, "user.photo", u->login, u->name, u->dn);
	if (r == 0 && !remove)
		r = mods_bin(&m, LDAP_MOD_REPLACE, tsr_photo_attr(info.type), data, len);
	for (ptype = TSR_PHOTO_PNG; r == 0 && ptype <= TSR_PHOTO_JPEG; ptype++)
		if ((u->photo_types & (1u << ptype)) && (remove || ptype != info.type))
			r = mods_str(&m, LDAP_MOD_DELETE, tsr_photo_attr(ptype), NULL);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "photo", old, now);
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	if (r < 0)
		code = dir_fail(a, r, "cannot change %s's photo", u->login);
	else if (remove)
		printf("removed %s's photo\n", u->login);
	else
		printf("%s's photo: %s\n", u->login, now);
out:
	free(data);
	mods_free(&m);
	wr_free(&w);
	user_free(u);
	return code;
}

/* Phone verification is the directory's (lib/phone, the guard's extended operations): it
 * makes the code, keeps its hash, counts attempts and queues the code for its deliverer.
 * The tool asks, says what came back, and records the change. */
int
user_phone(struct admin *a, int argc, char **argv)
{
	struct tsr_errs errs = {0};
	struct uin in = {0};
	struct user *u = NULL;
	struct wr w = {0};
	char number[64];
	int r, code;

	if (argc != 3)
		return tool_usage(a->t, "user phone: LOGIN NUMBER");
	in.phone = argv[2];
	if (uin_check(a, &in, false, &errs) < 0)
		return report_errs(a, &errs);
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	if (!is_self(a, u) && !may(a, TSR_PERM_USERS_EDIT, u)) {
		code = denied(a, "changing %s's phone needs users.edit at one of their sites",
		              u->login);
		goto out;
	}
	r = wr_init(a, &w, "user.phone", u->login, u->name, u->dn);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "pending_phone", u->pending_phone, in.phone_norm);
	if (r == 0)
		r = tsr_audit_secret(&w.audit, "phone_code");
	if (r == 0)
		r = dir_extop(a, TSR_OID_PHONE_START, u->dn, in.phone_norm, number, sizeof(number));
	if (r < 0) {
		code = dir_fail(a, r, "cannot start verifying %s's phone", u->login);
		goto out;
	}
	r = wr_commit(a, &w);
	if (r < 0)
		tool_err(a->t, "the verification started, but its audit record was not written: %s",
		         dir_errmsg(a));
	printf("a %d-digit code is on its way to %s (the directory sends it); it is valid for "
	       "%d minutes: tessera user verify-phone %s CODE\n",
	       TSR_PHONE_CODE_DIGITS, number[0] ? number : in.phone_norm,
	       TSR_PHONE_CODE_SECONDS / 60, u->login);
out:
	wr_free(&w);
	user_free(u);
	return code;
}

int
user_verify_phone(struct admin *a, int argc, char **argv)
{
	struct user *u = NULL;
	struct wr w = {0};
	char number[64], text[128];
	int r, code;

	if (argc != 3)
		return tool_usage(a->t, "user verify-phone: LOGIN CODE");
	if (!tsr_phone_code_well_formed(argv[2]))
		return report(a, EXIT_USAGE, "%s",
		              tsr_phone_verdict_text(TSR_PHONE_MALFORMED, 0, text, sizeof(text)));
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	/* A code makes the number verified only when its owner (or root) enters it. */
	if (!is_self(a, u) && admin_actor(a)->kind != ACTOR_ROOT) {
		code = denied(a,
		              "only %s enters the code sent to their phone (tessera --as %s user "
		              "verify-phone %s CODE)",
		              u->login, u->login, u->login);
		goto out;
	}
	r = wr_init(a, &w, "user.verify-phone", u->login, u->name, u->dn);
	if (r == 0)
		r = dir_extop(a, TSR_OID_PHONE_VERIFY, u->dn, argv[2], number, sizeof(number));
	if (r < 0) {
		code = dir_fail(a, r, "cannot verify %s's phone", u->login);
		goto out;
	}
	r = tsr_audit_change(&w.audit, "phone", u->phone, number);
	if (r == 0)
		r = wr_commit(a, &w);
	if (r < 0)
		tool_err(a->t, "the number is verified, but its audit record was not written: %s",
		         dir_errmsg(a));
	printf("%s's phone is now %s (verified)\n", u->login, number);
out:
	wr_free(&w);
	user_free(u);
	return code;
}
