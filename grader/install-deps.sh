#!/bin/sh
# Installs the Debian packages the kit needs, once; quiet when all are there.
set -eu
here=$(dirname "$0")
packages=$(grep -v '^#' "$here/packages.txt" | tr '\n' ' ')
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
# npm: NodeSource's nodejs bundles it (and conflicts with Debian's npm package);
# Debian's nodejs comes without it. Ask for Debian's npm only when none is there.
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi
[ -z "$missing" ] && exit 0
echo "installing what the kit needs:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: run   sudo apt-get install -y$missing   then try again" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "installed:$missing"
