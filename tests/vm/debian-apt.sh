# Sourced, not run: a private apt configuration for one Debian suite, to `apt-get download`
# packages and `dpkg -x` them without installing anything. Its own sources, lists and cache
# live under one directory; the machine's sources are not used and /etc/apt is never changed.
# Used by tests/vm/fetch-kernel.sh (kernels for the VM tests) and bench/libbpf-anchor.sh
# (libbpf 1.7 for the benchmark).
#
#   . tests/vm/debian-apt.sh
#   debian_apt_init SUITE DIR     # sets DEBIAN_APT_OPTS; refreshes the index at most once a day
#   apt-get "${DEBIAN_APT_OPTS[@]}" download PKG...
#   apt-cache "${DEBIAN_APT_OPTS[@]}" show PKG
#
# debian_apt_init returns 1 (after a one-line message) when the index could not be
# refreshed; callers may go on with a cached index or cached packages.

debian_apt_init() { # SUITE DIR
	local suite="$1" dir="$2" keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc"
	if [[ ! -f "$keyring" ]]; then
		echo "debian-apt.sh: installing debian-archive-keyring (to check Debian's signatures)" >&2
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-archive-keyring >/dev/null
	fi
	echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$dir/etc/sources.list"
	DEBIAN_APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/etc/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
		-o Debug::NoLocking=1
		-o APT::Architecture=amd64
		-o APT::Sandbox::User=root
	)
	local stamp="$dir/lists/.updated"
	if [[ -f "$stamp" && -z "$(find "$stamp" -mmin +1440)" ]]; then
		return 0
	fi
	if apt-get "${DEBIAN_APT_OPTS[@]}" update -qq >/dev/null 2>"$dir/update.err"; then
		touch "$stamp"
	else
		echo "debian-apt.sh: apt-get update for $suite failed: $(tail -n 1 "$dir/update.err")" >&2
		return 1
	fi
}
