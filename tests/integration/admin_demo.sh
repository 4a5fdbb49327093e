# Integration: `make demo` runs to the end (the README's first command).
# The demo strings every capability together (admin tool, password policy,
# NSS, tesserad, sshd logins), so a change in one that breaks another's part
# shows here even when each part's own tests pass.
. "$TSR_SRC/tests/integration/lib.sh"

log=$(mktemp)
if TSR_BUILD=$TSR_BUILD TSR_SRC=$TSR_SRC bash "$TSR_SRC/tools/demo.sh" >"$log" 2>&1; then
	pass demo_runs_to_the_end
else
	fail demo_runs_to_the_end "$(tail -5 "$log")"
fi
grep -q '^demo finished' "$log" && pass demo_prints_finished || fail demo_prints_finished
rm -f "$log"
