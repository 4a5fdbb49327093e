#!/bin/bash
# sshd_sandbox.sh DIR CONF PORT: run a real sshd in the foreground on 127.0.0.1:PORT for a host
# whose people come from tessera, without touching the host's configuration. Used by the
# integration tests (tsr_sshd_start in lib.sh) and by `make demo` (tools/demo.d/40-logins.sh).
#
# In a private mount namespace: /etc/nsswitch.conf says "files tessera"; /etc/pam.d/sshd is the
# shipped stack (etc/pam.d/sshd) with pam_tessera named by its build path and config=CONF;
# libnss_tessera.so.2 is overlaid into the library directory (so the users' own programs find
# it too); /var/lib/tessera is the directory of CONF's [cache] path; tmpfs cover /run (with
# /run/sshd; no nscd) and /var/log (the host's utmp, wtmp and lastlog stay untouched). DIR gets
# sshd_config, a host key, a client key pair (id, id.pub) and keys/ for authorized keys
# (keys/USER). Needs root, TSR_SRC and TSR_BUILD.
set -eu
: "${TSR_BUILD:?}" "${TSR_SRC:?}"
dir=$1 conf=$2 port=$3
image=$(sed -n '/^\[cache\]/,/^\[/s/^path *= *//p' "$conf")
state=$(dirname "${image:-/var/lib/tessera/cache.img}")
libdir=/usr/lib/$(gcc -print-multiarch)
mkdir -p "$dir/keys" "$dir/pam.d" "$dir/nsslib"
chmod 755 "$dir" "$dir/keys"
sed "s|pam_tessera.so|$TSR_BUILD/pam_tessera.so config=$conf|" "$TSR_SRC/etc/pam.d/sshd" >"$dir/pam.d/sshd"
cp "$TSR_BUILD/libnss_tessera.so.2" "$dir/nsslib/"
printf 'passwd: files tessera\ngroup: files tessera\nshadow: files\nhosts: files\n' >"$dir/nsswitch.conf"
[ -e "$dir/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey"
[ -e "$dir/id" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id"
cat >"$dir/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/hostkey
PidFile $dir/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile $dir/keys/%u
StrictModes no
PermitRootLogin no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
CFG
exec unshare -m --propagation private bash -c '
	set -e
	mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/tessera
	mount --bind "$2" /var/lib/tessera
	mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf
	mount --bind "$1/pam.d" /etc/pam.d
	mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd
	mount -t tmpfs tmpfs /var/log
	mount -t overlay overlay -o lowerdir="$1/nsslib:$3" "$3"
	exec /usr/sbin/sshd -D -e -f "$1/sshd_config"' _ "$dir" "$state" "$libdir"
