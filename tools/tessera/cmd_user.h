/* cmd_user.h: what the files of `tessera user` share (the verbs' rows are in cmd_user.c). */
#ifndef TSR_CMD_USER_H
#define TSR_CMD_USER_H

#include <getopt.h>

#include "admin.h"

/* getopt codes of the user verbs' own options (the fields' are UF_OPT). */
enum {
	O_ROLE = 1000,
	O_SITE,
	O_FIELD,
	O_PWSTDIN,
	O_GENPW,
	O_NOPW,
	O_STATUS,
	O_ADD,
	O_REMOVE,
};

/* The user login names, read (a checked name, else exit 2; absent: exit 4). */
int need_user(struct admin *a, const char *login, struct user **ret);
/* "user VERB: unknown option ..." for the option getopt stopped at; exit 2. */
int bad_option(struct admin *a, const char *verb, char **argv);

/* What user list takes; the list of people one may view. */
extern const struct option user_list_opts[];
int user_list(struct admin *a, int argc, char **argv);
/* What user photo takes (--remove). */
extern const struct option user_photo_opts[];
int user_photo(struct admin *a, int argc, char **argv);
int user_phone(struct admin *a, int argc, char **argv);
int user_verify_phone(struct admin *a, int argc, char **argv);

#endif
