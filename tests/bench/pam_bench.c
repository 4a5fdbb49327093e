/* pam_bench: latency of logins, for tests/bench/bench_pam.sh.
 *
 *   pam_bench pam CONFDIR SERVICE USER PASSWORD N OPS   OPS: auth, acct or auth+acct
 *   pam_bench ldap URI CAFILE DN PASSWORD N             connect, simple bind, unbind
 *   pam_bench mix CONFDIR SERVICE N OPS USER PASSWORD [USER PASSWORD]...
 *       the cases in turn, round after round (load on the machine hits them alike);
 *       one result line per case, in order
 *
 * Each of the N rounds is timed on its own (pam_start_confdir .. pam_end; or
 * ldap_initialize .. unbind), after one untimed warm-up round. The libraries
 * pam_tessera.so needs are linked in, so they stay loaded between rounds as in any
 * long-running PAM application: the rounds show the module's own cost (bench_pam.sh
 * reports the cold cost, with a fresh process per login, separately). Prints
 * "median_ms=M p99_ms=P n=N ok=K" (K rounds that succeeded). */
#include <ldap.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../integration/pam_conv.h"

static const char *password;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
login(const char *confdir, const char *service, const char *user, const char *ops)
{
	struct pam_conv pc = {test_conv_password, (void *)password};
	pam_handle_t *pamh = NULL;
	int rc;

	rc = pam_start_confdir(service, user, &pc, confdir, &pamh);
	if (rc != PAM_SUCCESS)
		return rc;
	(void)pam_fail_delay(pamh, 0);
	if (strstr(ops, "auth"))
		rc = pam_authenticate(pamh, 0);
	if (rc == PAM_SUCCESS && strstr(ops, "acct"))
		rc = pam_acct_mgmt(pamh, 0);
	pam_end(pamh, rc);
	return rc;
}

static int
one_pam(char **argv, const char *ops)
{
	return login(argv[2], argv[3], argv[4], ops);
}

static int
one_ldap(char **argv)
{
	struct berval cred = {strlen(password), (char *)password};
	int v3 = LDAP_VERSION3, rc;
	LDAP *ld = NULL;

	rc = ldap_initialize(&ld, argv[2]);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	if (rc == LDAP_SUCCESS && strncmp(argv[2], "ldap://", 7) == 0) {
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, argv[3]);
		if (rc == LDAP_SUCCESS) {
			int zero = 0;

			rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
		}
		if (rc == LDAP_SUCCESS)
			rc = ldap_start_tls_s(ld, NULL, NULL);
	}
	if (rc == LDAP_SUCCESS)
		rc = ldap_sasl_bind_s(ld, argv[4], LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(double *t, int n, int ok)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("median_ms=%.3f p99_ms=%.3f n=%d ok=%d\n", t[n / 2],
	       t[(size_t)((n - 1) * 0.99 + 0.5)], n, ok);
}

/* mix CONFDIR SERVICE N OPS (USER PASSWORD)... */
static int
mix(int argc, char **argv)
{
	int n = atoi(argv[4]), cases = (argc - 6) / 2, i, k, *ok;
	double *t, t0;

	if (n < 1 || cases < 1 || (argc - 6) % 2)
		return 2;
	t = calloc((size_t)(n * cases), sizeof(*t));
	ok = calloc((size_t)cases, sizeof(*ok));
	if (!t || !ok)
		return 1;
	for (i = -1; i < n; i++)
		for (k = 0; k < cases; k++) {
			password = argv[7 + 2 * k];
			t0 = now_ms();
			if (login(argv[2], argv[3], argv[6 + 2 * k], argv[5]) == PAM_SUCCESS &&
			    i >= 0)
				ok[k]++;
			if (i >= 0) /* round -1 warms up */
				t[k * n + i] = now_ms() - t0;
		}
	for (k = 0; k < cases; k++)
		report(t + k * n, n, ok[k]);
	free(t);
	free(ok);
	return 0;
}

/* pam ... or ldap ...: one case, N rounds */
static int
single(int argc, char **argv)
{
	int is_pam = argc == 8 && strcmp(argv[1], "pam") == 0;
	int is_ldap = argc == 7 && strcmp(argv[1], "ldap") == 0;
	int i, n, ok = 0;
	double *t, t0;

	if (!is_pam && !is_ldap) {
		fprintf(stderr, "usage: pam_bench pam CONFDIR SERVICE USER PASSWORD N OPS\n"
		                "       pam_bench ldap URI CAFILE DN PASSWORD N\n"
		                "       pam_bench mix CONFDIR SERVICE N OPS USER PASSWORD...\n");
		return 2;
	}
	password = argv[5];
	n = atoi(argv[6]);
	if (n < 1)
		return 2;
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	(void)(is_pam ? one_pam(argv, argv[7]) : one_ldap(argv)); /* warm-up */
	for (i = 0; i < n; i++) {
		t0 = now_ms();
		if ((is_pam ? one_pam(argv, argv[7]) : one_ldap(argv)) == 0)
			ok++;
		t[i] = now_ms() - t0;
	}
	report(t, n, ok);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 8 && strcmp(argv[1], "mix") == 0)
		return mix(argc, argv);
	return single(argc, argv);
}
