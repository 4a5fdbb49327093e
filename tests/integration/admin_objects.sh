# Integration: tessera role, site, group, tenant and audit; concurrent id allocation.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start

# -- sites
expect_rc 0 site_add "$TESSERA" --config "$SRV_CONF" site add berlin --location "Berlin, Mitte" --description "HQ"
expect_rc 5 site_add_twice "$TESSERA" --config "$SRV_CONF" site add berlin
expect_rc 2 site_add_bad_name "$TESSERA" --config "$SRV_CONF" site add "New York"
expect_out site_add_bad_name_says "site name 'New York': must start with a lower-case letter"
tt site add paris >/dev/null
expect_rc 0 site_list "$TESSERA" --config "$SRV_CONF" site list
expect_out site_list_table "^berlin +0 +Berlin, Mitte +HQ"
tsr_person anna member berlin
OUT=$(tt --json site show berlin)
[ "$OUT" = '{"name":"berlin","description":"HQ","location":"Berlin, Mitte","users":["anna"]}' ] \
	&& pass site_show_json || fail site_show_json "$OUT"
expect_rc 5 site_delete_in_use "$TESSERA" --config "$SRV_CONF" site delete berlin
expect_out site_delete_in_use_says "1 users may log in at berlin"
expect_rc 0 site_delete "$TESSERA" --config "$SRV_CONF" site delete paris
expect_rc 4 site_delete_unknown "$TESSERA" --config "$SRV_CONF" site delete paris
tt audit --action site | grep -q "site.delete .*paris .*site: paris -> (none)" && pass site_audited || fail site_audited
# lists sort names as people read them: s2 before s10, roles by name
tt site add s10 >/dev/null && tt site add s2 >/dev/null
OUT=$(tt --json site list)
printf '%s' "$OUT" | python3 -c 'import json,sys; n=[x["name"] for x in json.load(sys.stdin)]; assert n==["berlin","s2","s10"], n' \
	&& pass site_list_natural_order || fail site_list_natural_order "$OUT"
# --sort, --limit and --page, the same in every list verb
names() { python3 -c 'import json,sys; print(" ".join(x["name"] for x in json.load(sys.stdin)))'; }
[ "$(tt --json site list --sort -name | names)" = "s10 s2 berlin" ] && pass list_sort_reversed || fail list_sort_reversed
[ "$(tt --json site list --limit 2 --page 2 | names)" = "s10" ] && pass list_page_two || fail list_page_two
[ "$(tt --json site list --limit 2 --page 3 | names)" = "" ] && pass list_page_past_end || fail list_page_past_end
[ "$(tt --json site list --sort location | names)" = "s2 s10 berlin" ] && pass list_sort_by_field \
	|| fail list_sort_by_field "$(tt --json site list --sort location)"
[ "$(tt --json role list --sort -users --limit 1 | names)" = "member" ] && pass list_roles_by_users \
	|| fail list_roles_by_users "$(tt --json role list --sort -users)"
expect_rc 2 list_sort_unknown_field "$TESSERA" --config "$SRV_CONF" group list --sort size
expect_out list_sort_unknown_field_says "--sort 'size': one of name, gid, or - and one of them to reverse"
expect_rc 2 list_page_zero "$TESSERA" --config "$SRV_CONF" role list --page 0
expect_out list_page_zero_says "--page '0': a whole number from 1 to 1000000"
expect_rc 0 list_table_paged "$TESSERA" --config "$SRV_CONF" site list --limit 1
[ "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1}')" = berlin ] && pass list_table_paged_rows \
	|| fail list_table_paged_rows "$OUT"
tt site delete s10 >/dev/null && tt site delete s2 >/dev/null
OUT=$(tt --json role list)
printf '%s' "$OUT" | python3 -c 'import json,sys; n=[x["name"] for x in json.load(sys.stdin)]; assert n==sorted(n), n' \
	&& pass role_list_sorted || fail role_list_sorted "$OUT"

# -- roles: the defaults, custom roles, their group ids, their limits
OUT=$(tt --json role list)
printf '%s' "$OUT" | python3 -c '
import json,sys; r={x["name"]:x for x in json.load(sys.stdin)}
assert len(r["tenant-admin"]["permissions"])==9
assert r["site-admin"]["permissions"]==["users.view","users.edit","users.manage","audit.view"]
assert r["member"]["permissions"]==["users.view"] and r["member"]["users"]==1' \
	&& pass role_list_defaults || fail role_list_defaults "$OUT"
expect_rc 0 role_add "$TESSERA" --config "$SRV_CONF" role add technician --permission users.view \
	--permission sessions.manage --description "Field technicians"
gid=$(attr "cn=technician,ou=roles,$BASE" gidNumber)
[ -n "$gid" ] && [ "$gid" -ge 100003 ] && pass role_add_gid_from_tenant_range || fail role_add_gid_from_tenant_range "$gid"
expect_rc 2 role_add_bad_permission "$TESSERA" --config "$SRV_CONF" role add x --permission users.delete
expect_out role_add_bad_permission_says "permission 'users.delete': not one of"
expect_rc 5 role_add_existing "$TESSERA" --config "$SRV_CONF" role add member --permission users.view
expect_rc 5 role_add_user_name "$TESSERA" --config "$SRV_CONF" role add anna --permission users.view
expect_rc 5 role_add_local_group "$TESSERA" --config "$SRV_CONF" role add adm --permission users.view
expect_rc 0 role_set "$TESSERA" --config "$SRV_CONF" role set technician --add-permission audit.view --remove-permission sessions.manage
[ "$(attr "cn=technician,ou=roles,$BASE" tesseraPermission | sort | tr '\n' ' ')" = "audit.view users.view " ] \
	&& pass role_set_written || fail role_set_written
tt audit --action role.set | grep -q "permissions: users.view, sessions.manage -> users.view, audit.view" \
	&& pass role_set_audited || fail role_set_audited
expect_rc 0 role_show "$TESSERA" --config "$SRV_CONF" role show member
expect_out role_show_members "^  anna$"
tt user set-role anna technician >/dev/null
expect_rc 5 role_delete_in_use "$TESSERA" --config "$SRV_CONF" role delete technician
expect_rc 5 role_delete_default "$TESSERA" --config "$SRV_CONF" role delete member
tt user set-role anna member >/dev/null
expect_rc 0 role_delete "$TESSERA" --config "$SRV_CONF" role delete technician
expect_rc 4 role_show_deleted "$TESSERA" --config "$SRV_CONF" role show technician
expect_rc 0 role_limit_root "$TESSERA" --config "$SRV_CONF" role set site-admin --max-users 2
[ "$(attr "cn=site-admin,ou=roles,$BASE" tesseraMaxUsers)" = 2 ] && pass role_limit_written || fail role_limit_written
tsr_person tom tenant-admin
expect_rc 3 role_limit_not_root tt_as tom role set site-admin --max-users 9
expect_out role_limit_not_root_says "set by root"
expect_rc 0 role_add_as_tenant_admin tt_as tom role add auditor --permission audit.view
# After a role change by someone who is not root the rules say so; root's next
# command (or sync-acl) catches up.
expect_rc 0 role_sync_catches_up "$TESSERA" --config "$SRV_CONF" role sync-acl
expect_out role_sync_catches_up_says "rewritten"

# -- groups
tsr_person ben member berlin
expect_rc 0 group_add "$TESSERA" --config "$SRV_CONF" group add devs --description Developers --member anna
expect_rc 0 group_add_member "$TESSERA" --config "$SRV_CONF" group add-member devs ben
expect_rc 4 group_add_member_unknown "$TESSERA" --config "$SRV_CONF" group add-member devs ghost
OUT=$(tt --json group show devs)
printf '%s' "$OUT" | python3 -c '
import json,sys; g=json.load(sys.stdin); assert g["members"]==["anna","ben"] and g["gid"]>=100003, g' \
	&& pass group_show_json || fail group_show_json "$OUT"
expect_rc 0 group_remove_member "$TESSERA" --config "$SRV_CONF" group remove-member devs anna
[ "$(attr "cn=devs,ou=groups,$BASE" memberUid)" = ben ] && pass group_members_written || fail group_members_written
expect_rc 5 group_add_clash_user "$TESSERA" --config "$SRV_CONF" group add ben
expect_rc 5 group_add_clash_role "$TESSERA" --config "$SRV_CONF" group add member
expect_rc 3 group_add_member_needs_permission tt_as ben group add-member devs anna
expect_rc 0 group_list "$TESSERA" --config "$SRV_CONF" group list
expect_out group_list_table "^devs +[0-9]+ +1 +Developers"
expect_rc 0 group_delete "$TESSERA" --config "$SRV_CONF" group delete devs
[ -z "$(lsearch -b "ou=groups,$BASE" '(objectClass=posixGroup)' dn)" ] && pass group_delete_last_of_unit \
	|| fail group_delete_last_of_unit
tt audit --action group | grep -q "group.add-member .*member: (none) -> ben" && pass group_audited || fail group_audited

# -- tenant
expect_rc 0 tenant_show "$TESSERA" --config "$SRV_CONF" tenant show
expect_out tenant_show_range "id range +100000-199999"
expect_rc 0 tenant_set "$TESSERA" --config "$SRV_CONF" tenant set --max-users 50 --tier Business --session-lifetime 3600
OUT=$(tt --json tenant show)
printf '%s' "$OUT" | python3 -c '
import json,sys; t=json.load(sys.stdin)
assert t["max_users"]==50 and t["tier"]=="Business" and t["session_lifetime"]==3600 and t["users_in_use"]==3, t' \
	&& pass tenant_set_written || fail tenant_set_written "$OUT"
expect_rc 3 tenant_set_not_root tt_as tom tenant set --max-users 5000
expect_rc 2 tenant_set_bad "$TESSERA" --config "$SRV_CONF" tenant set --max-users lots
expect_rc 0 tenant_set_lifetime_hours "$TESSERA" --config "$SRV_CONF" tenant set --session-lifetime 12h
[ "$(attr "$BASE" tesseraSessionLifetime)" = 43200 ] && pass tenant_set_lifetime_in_seconds ||
	fail tenant_set_lifetime_in_seconds "$(attr "$BASE" tesseraSessionLifetime)"
expect_rc 0 tenant_set_lifetime_minutes "$TESSERA" --config "$SRV_CONF" tenant set --session-lifetime 90m
[ "$(attr "$BASE" tesseraSessionLifetime)" = 5400 ] && pass tenant_set_lifetime_minutes_written ||
	fail tenant_set_lifetime_minutes_written
expect_rc 2 tenant_set_lifetime_bad_unit "$TESSERA" --config "$SRV_CONF" tenant set --session-lifetime 2w
expect_out tenant_set_lifetime_bad_says "--session-lifetime '2w': seconds, or a number with s, m, h or d"
[ "$(attr "$BASE" tesseraSessionLifetime)" = 5400 ] && pass tenant_set_lifetime_refused_writes_nothing ||
	fail tenant_set_lifetime_refused_writes_nothing
tt audit --action tenant.set | grep -q "max_users: 0 -> 50; tier: (none) -> Business" && pass tenant_audited || fail tenant_audited

# -- audit: filters, order, JSON, escaping of hostile text
expect_rc 2 title_control_characters_refused "$TESSERA" --config "$SRV_CONF" user set anna --title "$(printf 'Lead\x1b[31m')"
tt user set anna --title 'Lead \ "1"' >/dev/null
expect_rc 0 audit_user_filter "$TESSERA" --config "$SRV_CONF" audit --user anna
[ "$(printf '%s\n' "$OUT" | sed 1d | grep -vc ' anna ')" = 0 ] && pass audit_user_filter_only_anna || fail audit_user_filter_only_anna "$OUT"
printf '%s' "$OUT" | grep -qF 'title: (none) -> Lead \x5c "1"' && pass audit_escapes_backslash || fail audit_escapes_backslash "$OUT"
OUT=$(tt --json audit --actor tom)
printf '%s' "$OUT" | python3 -c '
import json,sys; e=json.load(sys.stdin)
assert e and all(x["actor"]=="tom" and x["actor_name"]=="Person Tom" for x in e), e
assert [x["action"] for x in e]==["role.add"], e' && pass audit_actor_filter || fail audit_actor_filter "$OUT"
OUT=$(tt --json audit)
printf '%s' "$OUT" | python3 -c '
import json,sys; e=json.load(sys.stdin); t=[x["id"] for x in e]; assert t==sorted(t) and len(t)>10
assert [x["time"] for x in e]==sorted(x["time"] for x in e)' \
	&& pass audit_in_time_order || fail audit_in_time_order
expect_rc 0 audit_since_future "$TESSERA" --config "$SRV_CONF" audit --since 2999-01-01
[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] && pass audit_since_filters || fail audit_since_filters "$OUT"
expect_rc 0 audit_since_relative "$TESSERA" --config "$SRV_CONF" audit --since 1h --limit 2
[ "$(printf '%s\n' "$OUT" | wc -l)" = 3 ] && pass audit_limit || fail audit_limit "$OUT"
expect_rc 2 audit_bad_since "$TESSERA" --config "$SRV_CONF" audit --since yesterday
expect_rc 0 audit_action_prefix "$TESSERA" --config "$SRV_CONF" --json audit --action user
printf '%s' "$OUT" | python3 -c '
import json,sys; assert all(x["action"].startswith("user.") for x in json.load(sys.stdin))' \
	&& pass audit_action_prefix_only_users || fail audit_action_prefix_only_users

# -- ids: two admins adding at once never get the same uidNumber
for w in 1 2 3 4; do
	( for i in $(seq 1 8); do tt user add "p$w$i" --email "p$w$i@example.org" --name "P $w $i" --site berlin --no-password >/dev/null || echo "add p$w$i failed"; done ) >"$T/par.$w" 2>&1 &
	pids="${pids:-} $!"
done
wait $pids
cat "$T/par."* | grep -q failed && fail ids_parallel_adds_succeed "$(cat "$T/par."*)" || pass ids_parallel_adds_succeed
n=$(lsearch -b "ou=people,$BASE" '(uid=p*)' uidNumber | grep -c '^uidNumber')
u=$(lsearch -b "ou=people,$BASE" '(uid=p*)' uidNumber | sed -n 's/^uidNumber: //p' | sort -u | wc -l)
[ "$n" = 32 ] && [ "$u" = 32 ] && pass ids_parallel_unique || fail ids_parallel_unique "$n entries, $u distinct ids"
# An id taken by an entry tessera did not write is skipped, not reused.
next=$(attr "$BASE" tesseraNextId)
printf 'dn: cn=foreign,ou=groups,%s\nobjectClass: posixGroup\ncn: foreign\ngidNumber: %s\n' "$BASE" "$next" | ladd >/dev/null
tt user add qq --email qq@example.org --name Q --site berlin --no-password >/dev/null
[ "$(attr "uid=qq,ou=people,$BASE" uidNumber)" = $((next + 1)) ] && pass ids_skip_foreign || fail ids_skip_foreign
finish
