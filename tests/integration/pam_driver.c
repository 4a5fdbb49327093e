/* pam_driver: run PAM operations through pam_start_confdir() with a scripted conversation.
 *
 *   pam_driver [options] CONFDIR SERVICE USER OP...
 *     OP: auth, acct, chauthtok, chauthtok-expired, open, close, setcred,
 *         shell=CMD (as login does after open: run /bin/sh -c CMD in a new session, wait;
 *         the shell is killed if the driver dies first)
 *   options:
 *     -a ANSWER    next answer to a prompt (repeatable; prompts beyond them fail)
 *     -A FILE      next answer read from FILE (bytes, no trailing newline removed)
 *     -t TOKEN     PAM_AUTHTOK set before the first operation (a stacked token)
 *     -o TOKEN     PAM_OLDAUTHTOK likewise
 *     -r RHOST     PAM_RHOST
 *     -s           PAM_SILENT on every operation
 *     -u NAME@LEN  the user name is NAME repeated to LEN bytes (USER is then ignored)
 *
 * Prints each prompt and message ("prompt-off: Password: ", "error: ...", "info: ..."),
 * then "OP: NAME" per operation (PAM_SUCCESS, PAM_AUTH_ERR ...) with its duration in
 * ms, and for open the environment it set ("env: LANG=..."). Exit 0 when every
 * operation ran (whatever its result), 2 on usage errors. */
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ANSWERS 16

static char *answers[MAX_ANSWERS];
static int nanswers, next_answer;

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	(void)data;
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			printf("prompt-%s: %s\n",
			       msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "off" : "on",
			       msg[i]->msg);
			if (next_answer >= nanswers) {
				printf("(no answer left)\n");
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(answers[next_answer++]);
			break;
		case PAM_ERROR_MSG:
			printf("error: %s\n", msg[i]->msg);
			break;
		case PAM_TEXT_INFO:
			printf("info: %s\n", msg[i]->msg);
			break;
		default:
			printf("other: %s\n", msg[i]->msg);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const char *
code(int rc)
{
	switch (rc) {
#define C(x)                                                                                       \
	case x:                                                                                    \
		return #x;
		C(PAM_SUCCESS)
		C(PAM_AUTH_ERR)
		C(PAM_USER_UNKNOWN)
		C(PAM_AUTHINFO_UNAVAIL)
		C(PAM_CRED_INSUFFICIENT)
		C(PAM_MAXTRIES)
		C(PAM_ACCT_EXPIRED)
		C(PAM_NEW_AUTHTOK_REQD)
		C(PAM_PERM_DENIED)
		C(PAM_AUTHTOK_ERR)
		C(PAM_AUTHTOK_RECOVERY_ERR)
		C(PAM_AUTHTOK_LOCK_BUSY)
		C(PAM_TRY_AGAIN)
		C(PAM_SESSION_ERR)
		C(PAM_SYSTEM_ERR)
		C(PAM_SERVICE_ERR)
		C(PAM_BUF_ERR)
		C(PAM_CONV_ERR)
		C(PAM_IGNORE)
		C(PAM_ABORT)
		C(PAM_MODULE_UNKNOWN)
		C(PAM_OPEN_ERR)
		C(PAM_SYMBOL_ERR)
		C(PAM_INCOMPLETE)
#undef C
	}
	return "PAM_(other)";
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int c;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (n + 2 > cap) {
			char *more;

			cap = cap ? cap * 2 : 4096;
			more = realloc(buf, cap);
			if (!more) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = more;
		}
		buf[n++] = (char)c;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	else
		buf = strdup("");
	return buf;
}

/* The user's shell, as login runs it: a child in a session of its own, waited for. */
static int
shell(const char *cmd)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return PAM_SYSTEM_ERR;
	if (pid == 0) {
		/* A test that is killed must not leave the shell behind. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		(void)setsid();
		/* Default dispositions, as login gives its shell: a test run under nohup must
		 * not hand its ignored SIGHUP on to the session. */
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFSIGNALED(status))
		printf("shell: killed by signal %d\n", WTERMSIG(status));
	else
		printf("shell: exit %d\n", WEXITSTATUS(status));
	return PAM_SUCCESS;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct pam_conv pc = {conv, NULL};
	const char *authtok = NULL, *oldtok = NULL, *rhost = NULL;
	char *user = NULL, *long_user = NULL, **env, **list;
	bool slurped[MAX_ANSWERS] = {false};
	pam_handle_t *pamh = NULL;
	int opt, flags = 0, rc, i;
	double t0;

	/* Line by line: a sanitizer ending the process must not swallow the results. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "a:A:t:o:r:su:")) != -1) {
		switch (opt) {
		case 'a':
		case 'A':
			if (nanswers >= MAX_ANSWERS)
				return 2;
			slurped[nanswers] = opt == 'A';
			answers[nanswers++] = opt == 'a' ? optarg : slurp(optarg);
			if (!answers[nanswers - 1])
				return 2;
			break;
		case 't':
			authtok = optarg;
			break;
		case 'o':
			oldtok = optarg;
			break;
		case 'r':
			rhost = optarg;
			break;
		case 's':
			flags |= PAM_SILENT;
			break;
		case 'u': {
			char *at = strrchr(optarg, '@');
			size_t len, k;

			if (!at)
				return 2;
			*at = '\0';
			len = strtoul(at + 1, NULL, 10);
			user = long_user = malloc(len + 1);
			if (!user || !*optarg)
				return 2;
			for (k = 0; k < len; k++)
				user[k] = optarg[k % strlen(optarg)];
			user[len] = '\0';
			break;
		}
		default:
			return 2;
		}
	}
	if (argc - optind < 4) {
		fprintf(stderr, "usage: pam_driver [options] CONFDIR SERVICE USER OP...\n");
		return 2;
	}
	if (!user)
		user = argv[optind + 2];
	rc = pam_start_confdir(argv[optind + 1], user, &pc, argv[optind], &pamh);
	if (rc != PAM_SUCCESS) {
		printf("start: %s\n", code(rc));
		return 1;
	}
	if (authtok)
		(void)pam_set_item(pamh, PAM_AUTHTOK, authtok);
	if (oldtok)
		(void)pam_set_item(pamh, PAM_OLDAUTHTOK, oldtok);
	if (rhost)
		(void)pam_set_item(pamh, PAM_RHOST, rhost);
	/* No fail delay: results, not sleeps, are under test. */
	(void)pam_fail_delay(pamh, 0);
	for (i = optind + 3; i < argc; i++) {
		const char *op = argv[i];

		t0 = now_ms();
		if (strcmp(op, "auth") == 0)
			rc = pam_authenticate(pamh, flags);
		else if (strcmp(op, "acct") == 0)
			rc = pam_acct_mgmt(pamh, flags);
		else if (strcmp(op, "chauthtok") == 0)
			rc = pam_chauthtok(pamh, flags);
		else if (strcmp(op, "chauthtok-expired") == 0)
			rc = pam_chauthtok(pamh, flags | PAM_CHANGE_EXPIRED_AUTHTOK);
		else if (strcmp(op, "open") == 0)
			rc = pam_open_session(pamh, flags);
		else if (strcmp(op, "close") == 0)
			rc = pam_close_session(pamh, flags);
		else if (strcmp(op, "setcred") == 0)
			rc = pam_setcred(pamh, PAM_ESTABLISH_CRED | flags);
		else if (strncmp(op, "shell=", 6) == 0)
			rc = shell(op + 6);
		else {
			fprintf(stderr, "pam_driver: unknown operation '%s'\n", op);
			return 2;
		}
		printf("%s: %s %.1f ms\n", op, code(rc), now_ms() - t0);
		if (strcmp(op, "open") == 0 && rc == PAM_SUCCESS) {
			list = pam_getenvlist(pamh);
			for (env = list; env && *env; env++) {
				printf("env: %s\n", *env);
				free(*env);
			}
			free(list);
		}
	}
	pam_end(pamh, rc);
	free(long_user);
	for (i = 0; i < nanswers; i++)
		if (slurped[i])
			free(answers[i]);
	return 0;
}
