/* pam_settok.so token=WORD: a test stand-in for a password-quality module stacked above
 * pam_tessera (pam_pwquality): in the UPDATE pass of chauthtok it sets PAM_AUTHTOK to
 * WORD for the modules below (use_authtok). Everything else: PAM_IGNORE. */
#include <string.h>

#include <security/pam_modules.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv);

int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	int i;

	if (!(flags & PAM_UPDATE_AUTHTOK))
		return PAM_IGNORE;
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "token=", 6) == 0)
			return pam_set_item(pamh, PAM_AUTHTOK, argv[i] + 6);
	return PAM_IGNORE;
}
