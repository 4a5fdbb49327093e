/* Unit tests: lib/proc, with real processes: identities, a session's members with and without
 * an audit session, and the staged ending (SIGHUP, SIGTERM, SIGKILL). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "proc.h"
#include "util.h"

/* Children report their identity, tagged, through a pipe, then wait to be killed. */
static int ready[2];

struct report {
	int tag;
	struct tsr_proc_id id;
};

static void
report(int tag)
{
	struct report m = {.tag = tag};

	if (tsr_proc_self(&m.id) < 0 || write(ready[1], &m, sizeof(m)) != sizeof(m))
		_exit(3);
}

/* Read n reports (in any order) into ids[tag]. */
static void
collect(struct tsr_proc_id *ids, int n)
{
	struct report m;
	int i;

	for (i = 0; i < n; i++) {
		if (read(ready[0], &m, sizeof(m)) != sizeof(m) || m.tag < 0 || m.tag >= n)
			harness_fail(__FILE__, __LINE__, "a child did not report");
		ids[m.tag] = m.id;
	}
}

/* In every child: never hold the runner's output pipe, never outlive a failed case long. */
static pid_t
spawn(void)
{
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		/* default dispositions, even when the test runs under nohup */
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		alarm(20);
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
	}
	return pid;
}

/* Fork a process that reports, optionally ignores SIGHUP and SIGTERM, and sleeps. */
static pid_t
sleeper(int tag, bool stubborn, bool new_session)
{
	pid_t pid = spawn();

	if (pid != 0)
		return pid;
	if (new_session)
		(void)setsid();
	if (stubborn) {
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	report(tag);
	for (;;)
		pause();
}

/* true once pid is gone (or a zombie), waiting up to 2 s. */
static bool
gone(const struct tsr_proc_id *id)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!tsr_proc_alive(id->pid, id->start))
			return true;
		usleep(10000);
	}
	return false;
}

TEST(proc_self_identity)
{
	struct tsr_proc_id me;
	char boot[TSR_PROC_BOOT_ID_LEN + 1];

	ASSERT_OK(tsr_proc_self(&me));
	ASSERT_EQ(me.pid, getpid());
	ASSERT_TRUE(me.start > 0);
	ASSERT_TRUE(tsr_proc_alive(me.pid, me.start));
	/* the same pid with another start time is another process (pid reuse) */
	ASSERT_TRUE(!tsr_proc_alive(me.pid, me.start + 1));
	ASSERT_TRUE(!tsr_proc_alive(0, me.start));
	ASSERT_OK(tsr_proc_boot_id(boot));
	ASSERT_EQ(strlen(boot), 36);
	ASSERT_EQ(boot[8], '-');
	ASSERT_TRUE(tsr_proc_boottime_ms() > 0);
}

/* Without an audit session: the leader's descendants (also one that setsid()'d, and its
 * children), never the leader's siblings. */
TEST(proc_signal_descendants)
{
	struct tsr_proc_id ids[4], leader, child, escaped, grandchild, sibling, none = {0};
	pid_t pid;

	ASSERT_OK(pipe(ready));
	pid = spawn();
	if (pid == 0) {
		report(0);
		(void)sleeper(1, false, false);
		pid = spawn();
		if (pid == 0) { /* a child that leads its own session, with a child of its own */
			(void)setsid();
			report(2);
			(void)sleeper(3, false, false);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	collect(ids, 4);
	leader = ids[0];
	child = ids[1];
	escaped = ids[2];
	grandchild = ids[3];
	(void)sleeper(0, false, false);
	collect(&sibling, 1);
	leader.audit = 0; /* exercise the fallback even where pam_loginuid ran above us */
	ASSERT_EQ(tsr_proc_signal(&leader, 0, false), 3);
	ASSERT_EQ(tsr_proc_signal(&leader, 0, true), 4);
	ASSERT_EQ(tsr_proc_signal(&leader, SIGKILL, false), 3);
	ASSERT_TRUE(gone(&child));
	ASSERT_TRUE(gone(&escaped));
	ASSERT_TRUE(gone(&grandchild));
	ASSERT_TRUE(tsr_proc_alive(leader.pid, leader.start));
	ASSERT_TRUE(tsr_proc_alive(sibling.pid, sibling.start));
	/* a reused pid (another start time) is not the leader: nothing is signalled */
	leader.start++;
	ASSERT_EQ(tsr_proc_signal(&leader, SIGKILL, true), 0);
	leader.start--;
	ASSERT_TRUE(tsr_proc_alive(leader.pid, leader.start));
	ASSERT_EQ(tsr_proc_signal(&leader, SIGKILL, true), 1);
	ASSERT_TRUE(gone(&leader));
	ASSERT_TRUE(tsr_proc_alive(sibling.pid, sibling.start));
	ASSERT_EQ(tsr_proc_signal(&none, 0, true), 0);
	kill(sibling.pid, SIGKILL);
}

/* With an audit session of its own (what pam_loginuid gives a login), a process that
 * double-forked into a new session is still found. */
TEST(proc_signal_audit_session)
{
	struct tsr_proc_id ids[2], leader, escaped, outsider;
	pid_t pid;
	int fd;

	ASSERT_OK(pipe(ready));
	pid = spawn();
	if (pid == 0) {
		fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "4242", 4) != 4) {
			struct report no = {.tag = -1};

			_exit(write(ready[1], &no, sizeof(no)) == sizeof(no) ? 0 : 3);
		}
		close(fd);
		report(0);
		if (spawn() == 0) { /* daemonise: setsid, fork again, the middle exits */
			(void)setsid();
			if (spawn() == 0) {
				report(1);
				for (;;)
					pause();
			}
			_exit(0);
		}
		for (;;)
			pause();
	}
	for (int i = 0; i < 2; i++) {
		struct report m;

		if (read(ready[0], &m, sizeof(m)) != sizeof(m) || m.tag > 1)
			harness_fail(__FILE__, __LINE__, "a child did not report");
		if (m.tag < 0)
			SKIP("cannot set a login uid here (no CAP_AUDIT_CONTROL or no audit)");
		ids[m.tag] = m.id;
	}
	leader = ids[0];
	escaped = ids[1];
	ASSERT_TRUE(leader.audit != 0); /* its own, not the test's */
	(void)sleeper(0, false, false);
	collect(&outsider, 1);
	ASSERT_EQ(tsr_proc_signal(&leader, SIGKILL, false), 1);
	ASSERT_TRUE(gone(&escaped));
	ASSERT_TRUE(tsr_proc_alive(leader.pid, leader.start));
	ASSERT_TRUE(tsr_proc_alive(outsider.pid, outsider.start));
	ASSERT_EQ(tsr_proc_signal(&leader, SIGKILL, true), 1);
	ASSERT_TRUE(gone(&leader));
	kill(outsider.pid, SIGKILL);
}

/* The hang-up ends what obeys it; SIGTERM and SIGKILL follow after the grace time for what
 * ignores it; the leader is spared by the hang-up only. */
TEST(proc_end_stages)
{
	struct tsr_proc_id ids[3], leader, polite, stubborn;
	struct tsr_proc_end e;
	uint64_t t0, now;
	pid_t pid;
	int r, hup_alive = -1;

	ASSERT_OK(pipe(ready));
	pid = spawn();
	if (pid == 0) { /* the leader would die of a hang-up too: it must be spared */
		report(0);
		(void)sleeper(1, false, false);
		(void)sleeper(2, true, true);
		for (;;)
			pause();
	}
	collect(ids, 3);
	leader = ids[0];
	polite = ids[1];
	stubborn = ids[2];
	leader.audit = 0;
	tsr_proc_end_init(&e, &leader);
	t0 = tsr_now_ms();
	do {
		now = tsr_now_ms();
		r = tsr_proc_end_step(&e, 300, now);
		if (e.stage == 1 && hup_alive < 0 && gone(&polite))
			hup_alive = tsr_proc_alive(leader.pid, leader.start) &&
			            tsr_proc_alive(stubborn.pid, stubborn.start);
		usleep(TSR_PROC_END_POLL_MS * 1000);
	} while (r > 0 && now - t0 < 5000);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(hup_alive, 1); /* after the hang-up: the polite one gone, the others not */
	ASSERT_TRUE(!tsr_proc_alive(stubborn.pid, stubborn.start));
	ASSERT_TRUE(!tsr_proc_alive(leader.pid, leader.start));
	ASSERT_EQ(e.stage, 3); /* it took SIGKILL */
	ASSERT_TRUE(now - t0 >= 600);
	tsr_proc_end_clear(&e);
}
