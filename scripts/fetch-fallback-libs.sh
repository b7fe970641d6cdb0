#!/usr/bin/env bash
# Refreshes fallback-libs/: libstdc++.so.6 and libgcc_s.so.1 for linux-x64 and linux-arm64 from
# Debian 11 (bullseye), whose GCC 10 runtime needs at most GLIBC_2.18, so it loads on
# provided.al2023 (glibc 2.34) whatever that image holds. apt checks the packages against the
# Debian archive keyring; manifest.json records the .deb and file hashes. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
version=10.2.1-6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc/apt/preferences.d" "$work/var/lib/apt/lists/partial" "$work/var/cache/apt/archives/partial"
echo "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main" >"$work/etc/apt/sources.list"
apt=(-o "Dir=$work" -o Dir::State::status=/var/lib/dpkg/status -o Dir::Etc::trusted=/etc/apt/trusted.gpg
  -o Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d -o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
apt-get "${apt[@]}" -qq update
(cd "$work" && apt-get "${apt[@]}" -qq download "libstdc++6:amd64=$version" "libgcc-s1:amd64=$version" "libstdc++6:arm64=$version" "libgcc-s1:arm64=$version")
entries=()
for pair in amd64:x64:x86_64-linux-gnu arm64:arm64:aarch64-linux-gnu; do
  IFS=: read -r deb node triplet <<<"$pair"
  out="fallback-libs/linux-$node"
  mkdir -p "$out"
  for pkg in "libstdc++6" "libgcc-s1"; do
    file="$work/${pkg}_${version}_${deb}.deb"
    dpkg-deb -x "$file" "$work/x-$pkg-$deb"
    entries+=("{\"arch\":\"$node\",\"package\":\"$pkg\",\"version\":\"$version\",\"deb\":\"$(basename "$file")\",\"debSha256\":\"$(sha256sum "$file" | cut -d' ' -f1)\"}")
  done
  cp -L "$work/x-libstdc++6-$deb/usr/lib/$triplet/libstdc++.so.6" "$out/libstdc++.so.6"
  cp -L "$work/x-libgcc-s1-$deb/lib/$triplet/libgcc_s.so.1" "$out/libgcc_s.so.1"
  chmod 0644 "$out"/*
done
(IFS=,; echo "{\"source\":\"Debian 11 (bullseye) main\",\"packages\":[${entries[*]}],\"files\":{$(cd fallback-libs && for f in linux-*/*; do printf '"%s":"%s",' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done | sed 's/,$//')}}") | node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0,"utf8")),null,2)+"\n")' >fallback-libs/manifest.json
echo "fallback-libs/ refreshed from Debian $version"
