#!/usr/bin/env bash
# Builds (or reuses) kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet and a static pause binary from Debian 12's kubernetes source package.
# Prints the directory holding the binaries on stdout.
#   build.sh --prepare: only installs the packages (build and node), adds the
#   deb-src entry and downloads the source (for .ci/prepare-host.sh).
#   Cache: $K8S_CACHE/<sha256 of the .dsc + toolchain>/bin
# The build runs under nice -n 19 with GOMAXPROCS=2: the machine is shared.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

SRC_LIST=/etc/apt/sources.list.d/registry-lab-src.sources
RECIPE=2
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet)

ensure_deb_src() {
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return
  fi
  # Same archive host as the binary entries already configured.
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | head -n1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list | grep -v security | head -n1 | awk '{print $2}')
  [ -n "$uri" ] || die "no Debian archive URI found in /etc/apt/sources.list*"
  log "adding deb-src entry for bookworm ($uri) in $SRC_LIST"
  cat >"$SRC_LIST" <<SRC
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
}

fetch_source() {
  local dl=$K8S_CACHE/src
  mkdir -p "$dl"
  local dsc
  dsc=$(ls "$dl"/${K8S_SRC_PKG}_*.dsc 2>/dev/null | head -n1 || true)
  if [ -z "$dsc" ]; then
    ensure_deb_src
    local spec=$K8S_SRC_PKG${K8S_SRC_VERSION:+=$K8S_SRC_VERSION}
    log "apt-get source $spec"
    (cd "$dl" && apt-get source -qq --download-only "$spec" >&2)
    dsc=$(ls "$dl"/${K8S_SRC_PKG}_*.dsc | head -n1)
  fi
  echo "$dsc"
}

main() {
  # golang-github-modern-go-reflect2-dev: reflect2 1.0.2 replaces the vendored
  # 1.0.1, whose map iteration corrupts memory under Go >= 1.18 (kube-apiserver
  # died in runtime.aeshashbody).
  # shellcheck disable=SC2086
  ensure_packages $BUILD_PACKAGES
  local dsc hash out
  dsc=$(fetch_source)
  if [ "${1:-}" = --prepare ]; then
    # For .ci/prepare-host.sh: packages, deb-src entry and source only.
    # shellcheck disable=SC2086
    ensure_packages $NODE_PACKAGES
    log "prepared: $(basename "$dsc") and the build and node packages"
    return
  fi
  # Key: the source package (the .dsc lists every tarball's checksum), the Go
  # toolchain and RECIPE (bump it when the build steps or flags change).
  hash=$( { sha256sum "$dsc" | cut -d' ' -f1; go version; echo "recipe=$RECIPE"; } | sha256sum | cut -c1-16)
  out=$K8S_CACHE/$hash
  if [ -f "$out/bin/.complete" ]; then
    log "reusing binaries in $out/bin"
    echo "$out/bin"; return
  fi

  # A build that stopped half-way resumes: the unpacked, generated tree and
  # the Go build cache are kept until a build succeeds.
  local work=$K8S_CACHE/work-$hash
  local tree=$work/tree gopath=$work/gopath start=$SECONDS
  export GOPATH=$gopath GO111MODULE=off GOFLAGS= GOMAXPROCS=2 CGO_ENABLED=0
  export GOCACHE=$K8S_CACHE/gocache
  if [ ! -f "$work/.generated" ]; then
    rm -rf "$work" && mkdir -p "$work"
    log "unpacking $(basename "$dsc")"
    (cd "$work" && dpkg-source --no-check -x "$dsc" tree >&2)
    mkdir -p "$gopath/src/k8s.io"
    ln -s "$tree" "$gopath/src/k8s.io/kubernetes"
    cd "$gopath/src/k8s.io/kubernetes"
    rm -rf vendor/github.com/modern-go/reflect2
    cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2

    log "generating pkg/generated/openapi with the vendored openapi-gen"
    nice -n 19 go build -o "$work/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
    # The same package list as Makefile.generated_files (KUBE_OPENAPI_DIRS):
    # files carrying a +k8s: tag that ask for openapi-gen, staging named as vendor.
    local dirs
    dirs=$(find -H . \( -path './_*' -o -path './.*' -o -path ./vendor \) -prune -o -type f -name '*.go' -print0 \
      | xargs -0 grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' \
      | sed -e 's#^\./##' -e 's#^staging/src/#vendor/#' -e 's#/[^/]*$##' \
      | grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' \
      | LC_ALL=C sort -u | sed 's#^#k8s.io/kubernetes/#' | paste -sd, -)
    nice -n 19 "$work/openapi-gen" \
      --input-dirs "$dirs" \
      --output-base "$gopath/src" \
      --output-package k8s.io/kubernetes/pkg/generated/openapi \
      --output-file-base zz_generated.openapi \
      --go-header-file hack/boilerplate/boilerplate.generatego.txt \
      --report-filename /dev/null >&2
    [ -s pkg/generated/openapi/zz_generated.openapi.go ] || die "openapi generation produced nothing"
    touch "$work/.generated"
    log "openapi generated after $((SECONDS - start)) s"
  else
    log "resuming the build in $work"
  fi
  cd "$gopath/src/k8s.io/kubernetes"

  mkdir -p "$out/bin.tmp"
  # Version stamps as hack/lib/version.sh sets them (GOPATH mode: vendored path).
  local ldflags="-s -w" key val pkg
  for kv in gitVersion=v1.20.2 gitMajor=1 gitMinor=20 gitTreeState=clean buildDate=1970-01-01T00:00:00Z; do
    key=${kv%%=*}; val=${kv#*=}
    for pkg in client-go/pkg/version component-base/version; do
      ldflags="$ldflags -X k8s.io/kubernetes/vendor/k8s.io/$pkg.$key=$val"
    done
  done
  for b in "${BINS[@]}"; do
    log "building $b"
    nice -n 19 go build -p 2 -trimpath -ldflags "$ldflags" -o "$out/bin.tmp/$b" "./cmd/$b"
    log "$b done after $((SECONDS - start)) s"
  done

  log "building pause (static, from build/pause/linux/pause.c)"
  nice -n 19 gcc -Os -Wall -Werror -static -DVERSION=v3.4.1-registry-lab \
    -o "$out/bin.tmp/pause" build/pause/linux/pause.c
  echo "$((SECONDS - start))" >"$out/bin.tmp/.build-seconds"
  touch "$out/bin.tmp/.complete"
  rm -rf "$out/bin" && mv "$out/bin.tmp" "$out/bin"
  cd /
  rm -rf "$work" "$GOCACHE"
  log "built in $((SECONDS - start)) s into $out/bin"
  echo "$out/bin"
}

main "$@"
