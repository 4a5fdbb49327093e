# Integration: the load tier for 20 s (make soak runs it for SOAK_SECONDS, default 600):
# concurrent PAM logins, admin changes and NSS lookups on one host; no failure, no wrong
# answer, fds stable. RELIABILITY C11 E3 E4 E15 F7 (see tests/soak/soak.sh).
SOAK_SECONDS=${TSR_CHECK_SOAK_SECONDS:-20} SOAK_WORKERS=${SOAK_WORKERS:-3} \
	exec bash "$TSR_SRC/tests/soak/soak.sh"
