/* main.c: `tesserad [--config FILE] [--once] [--allow-loss] [--debug]`.
 *
 * Keeps the host's cache image in step with the directory and enforces login sessions
 * (tesserad(8)). Never looks up
 * users through NSS itself (no recursion into tessera): local accounts are read from
 * /etc/passwd and /etc/group directly. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "cache.h"
#include "log.h"
#include "tesserad.h"

volatile sig_atomic_t tesserad_stop, tesserad_resync, tesserad_accept_loss;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		tesserad_resync = 1;
	else if (sig == SIGUSR1)
		tesserad_accept_loss = 1;
	else
		tesserad_stop = 1;
}

static void
usage(FILE *f)
{
	fputs("usage: tesserad [--config FILE] [--once] [--allow-loss] [--debug]\n\n"
	      "Keep this host's users and groups in step with the directory: read it (syncrepl,\n"
	      "or a full read every [sync] refresh_interval where the server has no syncprov),\n"
	      "validate every entry, and publish the cache image that libnss_tessera.so.2 and\n"
	      "pam_tessera.so read. End the login sessions pam_tessera records ([session] dir)\n"
	      "whose lifetime has passed, and every session of a user who is deactivated,\n"
	      "locked by an administrator, removed, or no longer allowed at this host's site.\n\n"
	      "  --config FILE   configuration (default " TSR_CFG_DEFAULT_PATH ")\n"
	      "  --once          one full sync, publish, save the sync state, exit (no session\n"
	      "                  enforcement)\n"
	      "  --allow-loss    publish even if most users would disappear at once\n"
	      "  --debug         log debug messages too\n"
	      "  --help, --version\n\n"
	      "Signals: TERM/INT stop, HUP full refresh, USR1 accept a held-back image.\n"
	      "Exit codes: 0 done, 1 directory or system error (the last image stays),\n"
	      "2 usage or configuration error, 4 held back (mass loss; see --allow-loss).\n",
	      f);
}

/* Sleep up to ms, waking early for a signal that needs action. */
static void
pause_ms(uint64_t ms)
{
	uint64_t end = tsr_now_ms() + ms;
	struct timespec ts = {0, 100 * 1000 * 1000};

	while (!tesserad_stop && !tesserad_resync && !tesserad_accept_loss && tsr_now_ms() < end)
		nanosleep(&ts, NULL);
}

static int
setup_rules(struct daemon *d)
{
	struct tsr_cfg *c = d->cfg;
	char **words = NULL, *out = NULL;
	size_t n = 0, i;
	int r;

	r = tsr_strv_split(c->sync.primary_gids, &words, &n);
	if (r < 0)
		return r;
	d->primary_gids = calloc(n + 1, sizeof(*d->primary_gids));
	for (i = 0; d->primary_gids && i < n; i++)
		if (tsr_parse_u32(words[i], 1, 4294967294u, &d->primary_gids[i]) < 0)
			r = -EINVAL;
	tsr_strv_free(words);
	if (!d->primary_gids)
		return -ENOMEM;
	if (ldap_dn_normalize(c->dir.base, LDAP_DN_FORMAT_LDAP, &out, LDAP_DN_FORMAT_LDAPV3) !=
	    LDAP_SUCCESS) {
		fprintf(stderr, "tesserad: [directory] base: '%s' is not a DN\n", c->dir.base);
		return -EINVAL;
	}
	d->base = strdup(out);
	ldap_memfree(out);
	if (!d->base)
		return -ENOMEM;
	for (char *p = d->base; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	d->rules = (struct tsr_ident_rules){
	    .min_id = c->sync.min_id,
	    .max_id = c->sync.max_id,
	    .nesting_depth = c->sync.nesting_depth,
	    .primary_gids = d->primary_gids,
	    .n_primary_gids = n,
	    .default_shell = c->sync.default_shell,
	    .fallback_shell = c->sync.fallback_shell,
	    .fallback_home = c->sync.fallback_home,
	    .home_base = c->sync.home_base,
	    .base = d->base,
	};
	r = r < 0 ? r : tsr_ident_shells_load("/etc/shells", &d->rules.shells);
	return r;
}

static char *
join(const char *dir, const char *name)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

int
main(int argc, char **argv)
{
	struct daemon d = {.mode = "syncrepl"};
	struct tsr_errs errs = {0};
	const char *config = TSR_CFG_DEFAULT_PATH;
	struct tsr_cache *img = NULL;
	struct tsr_cache_info info;
	struct sigaction sa = {0};
	char *lockpath = NULL, *cookie = NULL;
	int i, r, lockfd, prio = LOG_INFO, failures = 0, code = EXIT_OK;
	size_t cookie_len = 0, k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("tesserad %s\n", TSR_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--once") == 0) {
			d.once = true;
		} else if (strcmp(argv[i], "--allow-loss") == 0) {
			d.allow_loss = true;
		} else if (strcmp(argv[i], "--debug") == 0) {
			prio = LOG_DEBUG;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config = argv[i] + 9;
		} else {
			fprintf(stderr,
			        "tesserad: unknown or incomplete option '%s' (see --help)\n",
			        argv[i]);
			return EXIT_USAGE;
		}
	}
	tsr_log_setup("tesserad", TSR_LOG_STDERR, prio);
	/* Images are built in large temporary buffers: keep them out of the heap so that
	 * the memory goes back to the system after each publication (glibc would otherwise
	 * raise its mmap threshold and keep them). */
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	r = tsr_cfg_load(config, &d.cfg, &errs);
	for (k = 0; k < errs.n; k++)
		fprintf(stderr, "tesserad: %s\n", errs.msg[k]);
	tsr_errs_clear(&errs);
	if (r < 0)
		return EXIT_USAGE;
	if (setup_rules(&d) < 0)
		return EXIT_USAGE;
	d.image_path = d.cfg->cache.path;
	d.state_path = join(d.cfg->sync.state_dir, "tesserad.state");
	d.status_path = join(d.cfg->sync.state_dir, "tesserad.status");
	lockpath = join(d.cfg->sync.state_dir, "tesserad.lock");
	if (!d.state_path || !d.status_path || !lockpath)
		return EXIT_DIR;
	(void)mkdir(d.cfg->sync.state_dir, 0755);
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "tesserad: %s: %s\n", lockpath,
		        lockfd < 0 ? strerror(errno) : "another tesserad is running here");
		return EXIT_DIR;
	}
	snprintf(d.state, sizeof(d.state), "starting");
	/* A tesserad killed mid-write (SIGKILL, power loss) leaves its PATH.tmp.PID files:
	 * the lock says no other writer runs here, so they are garbage (RELIABILITY D6). */
	{
		const char *own[] = {d.image_path, d.state_path, d.status_path};

		for (k = 0; k < sizeof(own) / sizeof(own[0]); k++) {
			r = tsr_remove_stale_temps(own[k]);
			if (r > 0)
				tsr_log(LOG_INFO,
				        "removed %d temporary file(s) of %s left by an "
				        "interrupted write",
				        r, own[k]);
		}
	}
	/* What is published now: the mass-loss guard compares against it. */
	r = tsr_cache_open_lazy(d.image_path, &img);
	if (r == -EPROTONOSUPPORT)
		tsr_log(LOG_NOTICE, "%s has another format version (an upgrade?): it is rewritten",
		        d.image_path);
	if (r == 0) {
		tsr_cache_info(img, &info);
		d.generation = info.generation;
		d.published_users = info.n_users;
		d.published_at = info.created;
		d.synced_at = info.synced;
		d.have_image = true;
		local_files_since(&d, info.created);
		tsr_cache_free(img);
	}
	if (!d.once && tsr_ident_load(d.state_path, &d.store, &cookie, &cookie_len) == 0) {
		d.cookie = cookie_len ? cookie : NULL;
		d.cookie_len = cookie_len;
		if (!d.cookie)
			free(cookie);
		tsr_log(LOG_INFO, "resuming from the saved sync state (%zu entries)",
		        tsr_ident_count(d.store));
		if (!d.have_image) /* the image went missing: rebuild it from the saved state */
			(void)publish(&d, true);
	} else if (tsr_ident_store_new(&d.store) < 0) {
		return EXIT_DIR;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!d.once)
		(void)sessions_start(&d);

	for (;;) {
		r = sync_session(&d);
		if (d.refreshed) /* the directory was reached: a later loss starts at 1 s */
			failures = 0;
		d.refreshed = false;
		if (d.once) {
			code = r == -EDQUOT ? EXIT_HELD : r < 0 ? EXIT_DIR : EXIT_OK;
			break;
		}
		if (tesserad_stop)
			break;
		if (tesserad_resync) {
			tsr_log(LOG_INFO, "full refresh requested");
			tesserad_resync = 0;
			free(d.cookie);
			d.cookie = NULL;
			continue;
		}
		if (tesserad_accept_loss && d.held)
			(void)publish(&d, true);
		if (r < 0) {
			snprintf(d.state, sizeof(d.state), "disconnected");
			write_status(&d);
			failures++;
			pause_ms(1000ull << (failures < 6 ? failures - 1 : 5)); /* 1 s .. 32 s */
		} else if (strcmp(d.mode, "poll") == 0) {
			failures = 0;
			pause_ms((uint64_t)d.cfg->sync.refresh_interval * 1000);
		} else {
			failures = 0;
		}
	}
	sessions_stop();
	if (!d.held || d.once)
		snapshot(&d);
	snprintf(d.state, sizeof(d.state), "stopped");
	write_status(&d);
	tsr_ident_store_free(d.store);
	tsr_strv_free(d.rules.shells);
	free(d.primary_gids);
	free(d.base);
	free(d.cookie);
	free(d.state_path);
	free(d.status_path);
	free(lockpath);
	tsr_cfg_free(d.cfg);
	close(lockfd);
	return code;
}
