#!/usr/bin/env bash
# apt-source.sh PACKAGE DIR: downloads Debian's source package PACKAGE into DIR through a private
# deb-src list (the host's apt configuration is left untouched, and needs no deb-src lines).
set -euo pipefail
pkg=$1
dir=$2
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
state=${GASANG_CACHE:-$HOME/.cache/gasang}/apt-src
mkdir -p "$state/lists/partial" "$dir"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
	>"$state/sources.list"
opts=(-q -o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$state/lists" -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update >/dev/null
cd "$dir" && apt-get "${opts[@]}" source --download-only "$pkg"
