#!/usr/bin/env bash
# Static checks of deploy/docker/Dockerfile (no Docker daemon needed): multi-stage on
# debian:12-slim, a runtime stage without build tools that runs as a non-root user, runtime
# packages that exist in Debian 12 and provide every library the built binaries link, and every
# service binary copied in.
source "$(dirname "$0")/lib.sh"
DOCKERFILE=$SRC/deploy/docker/Dockerfile

# The instructions of one stage, continuation lines joined: stage_of NAME
joined() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DOCKERFILE" | grep -v '^[[:space:]]*#'; }
stage_of() {
  joined | awk -v name="$1" '
    toupper($1) == "FROM" { in_stage = (tolower($NF) == name) }
    in_stage'
}
RUNTIME=$(stage_of runtime)
BUILD=$(stage_of build)

echo "# shape"
check "two stages, build and runtime" test "$(joined | grep -ciE '^FROM .* AS (build|runtime)$')" = 2
check "based on debian:12-slim" grep -q '^ARG DEBIAN_IMAGE=debian:12-slim$' "$DOCKERFILE"
check "the runtime stage is the last one" test "$(joined | grep -iE '^FROM ' | tail -n 1 | awk '{print tolower($NF)}')" = runtime

echo "# runtime stage"
user=$(printf '%s\n' "$RUNTIME" | awk 'toupper($1) == "USER" {u = $2} END {print u}')
check "runtime stage sets USER (got '$user')" test -n "$user"
uid=${user%%:*}
check "USER is numeric and not root (uid $uid)" bash -c "[[ '$uid' =~ ^[0-9]+$ && '$uid' -ne 0 ]]"
check "USER is the last user switch (nothing runs as root after it)" \
  bash -c "printf '%s\n' \"\$1\" | awk 'toupper(\$1)==\"USER\"{seen=1; next} seen && toupper(\$1)==\"RUN\"{bad=1} END{exit bad}'" _ "$RUNTIME"
packages=$(printf '%s\n' "$RUNTIME" | grep -oE 'apt-get install [^;]*' | sed 's/apt-get install//' |
  tr ' ' '\n' | grep -vE '^(-|$)' | sort -u)
check "runtime installs packages" test -n "$packages"
bad=$(printf '%s\n' $packages | grep -E -- '-dev$|^(build-essential|gcc|g\+\+|cpp|clang.*|cmake|ninja-build|make|binutils|protobuf-compiler.*|pkg-config|git)$' || true)
check_eq "runtime installs no compiler, headers or build tool" "" "$bad"
check "runtime drops the apt lists" bash -c "printf '%s\n' \"\$1\" | grep -q 'rm -rf /var/lib/apt/lists'" _ "$RUNTIME"
check "runtime copies only the built binaries from the build stage" \
  test "$(printf '%s\n' "$RUNTIME" | grep -iE '^COPY' | tr '\n' '|')" = "COPY --from=build /out/ /usr/local/bin/|"

echo "# binaries"
for svc in "$SRC"/services/*/; do
  svc=$(basename "$svc")
  [[ -f $SRC/services/$svc/main.cc ]] || continue
  check "the image carries p2pims-$svc" bash -c "printf '%s\n' \"\$1\" | grep -q 'p2pims-$svc'" _ "$BUILD"
done
for tool in p2pimsctl p2pims-mktorrent; do
  check "the image carries $tool" bash -c "printf '%s\n' \"\$1\" | grep -q '/build/tools/p2pimsctl/$tool '" _ "$BUILD"
done

echo "# packages"
listed=$(grep -v '^#' "$SRC/tools/debian-packages.txt" | sed '/^$/d')
test_only=$(sed -n 's/^ARG TEST_ONLY="\(.*\)"$/\1/p' "$DOCKERFILE")
for p in $test_only; do
  check "test-only package $p is in tools/debian-packages.txt" grep -qx "$p" <<<"$listed"
done
for p in build-essential cmake ninja-build protobuf-compiler-grpc libgrpc++-dev; do
  check "the build stage keeps $p" bash -c "! grep -qx '$p' <<<'$(printf '%s\n' $test_only)'"
done
has_candidate() { [[ $(apt-cache policy "$1" 2>/dev/null) == *"Candidate: "[0-9]* ]]; }
if has_candidate libc6; then
  for p in $packages; do
    check "runtime package $p exists in Debian" has_candidate "$p"
  done
  # Every shared library the built binaries link must come from a runtime package or one of its
  # dependencies (the image's own ldd step checks the same at build time).
  provided=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $packages 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
  base="libc6 libgcc-s1 libstdc++6 zlib1g libcom-err2 libkeyutils1"  # in debian:12-slim already
  # The image builds without sanitizers; a sanitized test build links their runtimes besides.
  sanitized && base+=" libasan8 libubsan1"
  binaries=()
  for b in "$BIN"/services/*/p2pims-* "$BIN"/tools/p2pimsctl/p2pimsctl "$BIN"/tools/p2pimsctl/p2pims-mktorrent; do
    [[ -x $b && -f $b ]] && binaries+=("$b")
  done
  check "binaries of a build were found in $BIN to check their libraries" test "${#binaries[@]}" -gt 0
  before=$FAILURES
  libs=$(for b in "${binaries[@]}"; do ldd "$b" | awk '$3 ~ /^\// {print $3}'; done | sort -u)
  # Debian 12 merged /usr: dpkg knows a library under /lib or /usr/lib, depending on its package.
  search=$(for l in $libs; do rel=${l#/usr}; echo "/lib${rel#/lib}"; echo "/usr/lib${rel#/lib}"; done)
  owned=$(dpkg -S $search 2>/dev/null || true)
  owners=$(cut -d: -f1 <<<"$owned" | sort -u)
  for l in $libs; do
    grep -q "/$(basename "$l")\$" <<<"$owned" || fail "no Debian package owns $l"
  done
  for owner in $owners; do
    grep -qx "$owner" <<<"$provided" || [[ " $base " == *" $owner "* ]] ||
      fail "the binaries link a library of $owner, which the runtime stage does not install"
  done
  ((FAILURES == before)) && pass "every library the binaries link is installed in the runtime stage ($(wc -w <<<"$owners") packages)"
else
  echo "skip - apt lists are empty (run apt-get update) so package checks are skipped"
fi

finish
