/* pam_conv.h: the C test drivers' PAM conversation. test_conv_password answers every
 * prompt (echo on or off) with the password given as the conversation's appdata_ptr (a
 * const char *); messages get no answer. Use: struct pam_conv c = {test_conv_password,
 * (void *)password}. */
#ifndef TSR_TEST_PAM_CONV_H
#define TSR_TEST_PAM_CONV_H
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

static inline int
test_conv_password(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup((const char *)data);
	*resp = r;
	return PAM_SUCCESS;
}

#endif
