#!/bin/sh
# install.sh: install the switch as a systemd service (docs/deployment.md).
#
#   deploy/systemd/install.sh [--root DIR] [--binary FILE] [--config FILE]
#
# Installs the binary to /usr/local/bin/softswitch, the unit to
# /etc/systemd/system/softswitch.service, the example config to
# /etc/softswitch/softswitch.yaml (only if none is there: an operator's
# config is never overwritten), an empty secrets file /etc/softswitch/env
# (likewise), and creates the system user softswitch and its data dir
# /var/lib/softswitch.
#
# --root DIR installs into DIR instead of / (a staging root, a package
# build, a test): no user is created, nothing is chowned and systemctl is
# not called; each of those steps is printed as "would run: ..." instead.
# --binary FILE installs FILE; without it the switch is built with
# `go build` from this checkout. --config FILE installs FILE as the config
# instead of deploy/examples/softswitch.yaml.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=/
binary=
config=$repo/deploy/examples/softswitch.yaml

usage() {
	sed -n '3p' "$0" | sed 's/^# *//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || usage; root=$2; shift 2 ;;
	--root=*) root=${1#--root=}; shift ;;
	--binary) [ $# -ge 2 ] || usage; binary=$2; shift 2 ;;
	--binary=*) binary=${1#--binary=}; shift ;;
	--config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
	--config=*) config=${1#--config=}; shift ;;
	-h|--help) usage ;;
	*) echo "install.sh: unknown argument: $1" >&2; usage ;;
	esac
done

staged=no
if [ "$root" != / ]; then
	staged=yes
	mkdir -p "$root"
	root=$(cd "$root" && pwd)
elif [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: installing into / needs root (or use --root DIR)" >&2
	exit 1
fi
# dest PATH: PATH inside the target root.
dest() {
	if [ "$staged" = yes ]; then printf '%s%s\n' "$root" "$1"; else printf '%s\n' "$1"; fi
}
# priv CMD...: a step that needs the real system (users, ownership,
# systemctl): run it, or in a staging root only say it.
priv() {
	if [ "$staged" = yes ]; then
		echo "would run: $*"
	else
		"$@"
	fi
}

[ -f "$config" ] || { echo "install.sh: no config at $config" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$binary" ]; then
	echo "building softswitch from $repo"
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$tmp/softswitch" ./cmd/softswitch)
	binary=$tmp/softswitch
fi
[ -f "$binary" ] || { echo "install.sh: no binary at $binary" >&2; exit 1; }

# The service's own user: a system account with no shell and no login,
# its home the data dir.
if [ "$staged" = yes ] || ! id softswitch >/dev/null 2>&1; then
	priv useradd --system --user-group --home-dir /var/lib/softswitch \
		--no-create-home --shell /usr/sbin/nologin --comment softswitch softswitch
fi

install -d -m 0755 "$(dest /usr/local/bin)" "$(dest /etc/systemd/system)" "$(dest /usr/local/share/doc/softswitch)"
install -m 0755 "$binary" "$(dest /usr/local/bin/softswitch)"
install -m 0644 "$here/softswitch.service" "$(dest /etc/systemd/system/softswitch.service)"
install -m 0644 "$repo/docs/deployment.md" "$(dest /usr/local/share/doc/softswitch/deployment.md)"

# /etc/softswitch: readable by the service's group, not by others (the
# config may hold passwords).
install -d -m 0750 "$(dest /etc/softswitch)"
priv chown root:softswitch /etc/softswitch
if [ -e "$(dest /etc/softswitch/softswitch.yaml)" ]; then
	echo "kept the existing /etc/softswitch/softswitch.yaml"
else
	# The example's data_dir is relative; the service may write only
	# /var/lib/softswitch (ProtectSystem=strict, ReadWritePaths=).
	sed 's|^data_dir:.*|data_dir: /var/lib/softswitch   # the unit'"'"'s ReadWritePaths=|' "$config" >"$tmp/softswitch.yaml"
	install -m 0640 "$tmp/softswitch.yaml" "$(dest /etc/softswitch/softswitch.yaml)"
	priv chown root:softswitch /etc/softswitch/softswitch.yaml
fi
if [ -e "$(dest /etc/softswitch/env)" ]; then
	echo "kept the existing /etc/softswitch/env"
else
	cat >"$tmp/env" <<'ENV'
# Secrets for the config's "env:NAME" values (docs/configuration.md), one
# NAME=value a line. systemd reads this file as root (EnvironmentFile=).
# SOFTSWITCH_ADMIN_TOKEN=
# CLICKHOUSE_PASSWORD=
ENV
	install -m 0600 "$tmp/env" "$(dest /etc/softswitch/env)"
fi

# The data dir: journal, CDR store, recordings, audit anchors.
install -d -m 0750 "$(dest /var/lib/softswitch)"
priv chown softswitch:softswitch /var/lib/softswitch

priv systemctl daemon-reload
echo "installed into $root; start with: systemctl enable --now softswitch"
