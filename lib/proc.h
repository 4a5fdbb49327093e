/* proc.h: the processes of a login session, and how a session is ended.
 *
 * Hides /proc and the kernel's process identities. A process is its pid plus its start time
 * (clock ticks since boot), so that a reused pid is never taken for the recorded one; signals
 * go through a pidfd opened before the start time is checked again. A session's processes are
 * those of its kernel audit session when it has one of its own (pam_loginuid gives it; every
 * descendant inherits it, across setsid() and double forks), else the descendants of the
 * process that opened it plus the sessions and process groups they lead. Also the boot id and
 * CLOCK_BOOTTIME, for lifetimes that wall-clock steps cannot stretch or cut. libc only; never
 * logs. Never signals pid 1 or the caller. */
#ifndef TSR_PROC_H
#define TSR_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrs.h"

#define TSR_PROC_BOOT_ID_LEN 36

struct tsr_proc_id {
	pid_t pid;
	uint64_t start; /* clock ticks since boot (/proc/PID/stat, field 22) */
	uint32_t audit; /* its own audit session, or 0 (none, or inherited from the caller) */
};

/* The calling process. audit is set only when this process's audit session differs from its
 * parent's (pam_loginuid ran in this login's stack): one inherited from the caller (su or sudo
 * in a shell) belongs to the caller's login, which ending this one must not touch. */
TSR_MUST_USE int tsr_proc_self(struct tsr_proc_id *ret);
/* The kernel's boot id ("xxxxxxxx-xxxx-..."): records of another boot name other processes. */
TSR_MUST_USE int tsr_proc_boot_id(char ret[TSR_PROC_BOOT_ID_LEN + 1]);
/* Milliseconds since boot, suspend included (CLOCK_BOOTTIME); wall-clock steps do not
 * move it. */
int64_t tsr_proc_boottime_ms(void);
/* true when pid runs (a zombie does not) and started at start. */
bool tsr_proc_alive(pid_t pid, uint64_t start);
/* A pidfd (O_CLOEXEC; readable once the process exits) for pid, if it is still the process
 * that started at start. -ESRCH when it is gone or another one; -ENOSYS before Linux 5.3. */
TSR_MUST_USE int tsr_proc_pidfd(pid_t pid, uint64_t start);

/* Send sig to every process of session s, its leader s->pid only when with_leader; sig 0
 * only counts. Returns how many processes there were (0: none is left), or -errno when /proc
 * cannot be read. */
TSR_MUST_USE int tsr_proc_signal(const struct tsr_proc_id *s, int sig, bool with_leader);

/* Ending a session, as a hang-up would: SIGHUP to its processes but the leader (sshd's
 * monitor, login), which then closes the session as on a logout; after grace_ms SIGTERM to
 * all of them, leader included; after another grace_ms SIGKILL, repeated until none is left.
 * Every process found is remembered, so that what outlives the leader is still found. */
struct tsr_proc_end {
	struct tsr_proc_id who;
	int stage;
	uint64_t deadline_ms; /* when the next signal is due */
	struct tsr_proc_id *seen;
	size_t nseen;
};
void tsr_proc_end_init(struct tsr_proc_end *e, const struct tsr_proc_id *who);
void tsr_proc_end_clear(struct tsr_proc_end *e);
/* Do what is due at now_ms (tsr_now_ms()): 1 while processes remain (call again within
 * TSR_PROC_END_POLL_MS), 0 once none is left, or a negative errno. */
TSR_MUST_USE int tsr_proc_end_step(struct tsr_proc_end *e, uint32_t grace_ms, uint64_t now_ms);
#define TSR_PROC_END_POLL_MS 100

#endif
