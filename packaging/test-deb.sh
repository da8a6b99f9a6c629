#!/usr/bin/env bash
# The Debian package, end to end, as a participant's laptop would get it: build
# the .deb with cargo-deb, check its file list, install it with dpkg, run the
# installed binary as an unprivileged user with an empty home and no Rust
# toolchain on PATH, validate the desktop entry, and remove the package again.
#
# Run as root from anywhere (it installs packages): `bash packaging/test-deb.sh`.
# `.ci/run` runs it after the tests. Exits non-zero if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
user=flowdesk-ci
created_user=
installed=
scratch=$(mktemp -d /tmp/flowdesk-test-deb.XXXXXX)
chmod 755 "$scratch"

say() { printf '\n==> %s\n' "$*"; }
ok() {
    passed=$((passed + 1))
    printf '  ok    %s\n' "$1"
}
bad() {
    failed=$((failed + 1))
    printf '  FAIL  %s\n' "$1" >&2
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/        /' >&2; fi
}
# A step the remaining checks cannot do without.
die() {
    bad "$1" "${2:-}"
    exit 1
}
cleanup() {
    local status=$?
    if [ -n "$installed" ] && dpkg -s flowdesk >/dev/null 2>&1; then
        say "Removing the package (cleanup)"
        dpkg -r flowdesk >/dev/null 2>&1 || true
    fi
    if [ -n "$created_user" ]; then
        userdel -r "$user" >/dev/null 2>&1 || true
    fi
    rm -rf "$scratch"
    echo
    echo "test-deb: $passed passed, $failed failed"
    if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then
        status=1
    fi
    exit "$status"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
    die "must run as root: it installs the package with dpkg"
fi
if ! command -v dpkg-deb >/dev/null 2>&1; then
    die "dpkg-deb not found: this test needs a Debian-based system"
fi

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

say "Tools"
if ! cargo deb --version >/dev/null 2>&1; then
    echo "cargo-deb is missing: cargo install cargo-deb --locked"
    cargo install cargo-deb --locked
fi
echo "$(cargo deb --version)"
if ! command -v desktop-file-validate >/dev/null 2>&1; then
    echo "desktop-file-validate is missing: apt-get install desktop-file-utils"
    apt_install desktop-file-utils
fi

say "Building the package (cargo deb: release build with LTO)"
target_dir=${CARGO_TARGET_DIR:-target}
rm -f "$target_dir"/debian/flowdesk_*.deb
# Panic messages carry the source path of the code that panicked; remap the
# checkout, the target folder and cargo's registry so that the package holds no
# path of this machine (stable cargo has no `trim-paths` yet).
cargo_home=${CARGO_HOME:-$HOME/.cargo}
remap="--remap-path-prefix=$PWD=/build/flowdesk --remap-path-prefix=$cargo_home=/cargo"
case "$target_dir" in
/*) remap="$remap --remap-path-prefix=$target_dir=/build/target" ;;
esac
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$remap"
echo "RUSTFLAGS=$RUSTFLAGS"
started=$(date +%s)
cargo deb --locked
echo "cargo deb took $(($(date +%s) - started)) s"
deb=$(ls -t "$target_dir"/debian/flowdesk_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] && [ -f "$deb" ] || die "cargo deb produced no target/debian/flowdesk_*.deb"
ok "built $deb ($(du -k "$deb" | cut -f1) KiB)"

say "File list"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$scratch/files"
for path in \
    /usr/bin/flowdesk \
    /usr/share/applications/flowdesk.desktop \
    /usr/share/icons/hicolor/16x16/apps/flowdesk.png \
    /usr/share/icons/hicolor/32x32/apps/flowdesk.png \
    /usr/share/icons/hicolor/48x48/apps/flowdesk.png \
    /usr/share/icons/hicolor/64x64/apps/flowdesk.png \
    /usr/share/icons/hicolor/128x128/apps/flowdesk.png \
    /usr/share/icons/hicolor/256x256/apps/flowdesk.png \
    /usr/share/icons/hicolor/scalable/apps/flowdesk.svg \
    /usr/share/man/man1/flowdesk.1.gz \
    /usr/share/flowdesk/sample-templates/README.md \
    /usr/share/flowdesk/sample-templates/helloworld/flowserv.yaml \
    /usr/share/flowdesk/sample-templates/helloworld/code/helloworld.py \
    /usr/share/flowdesk/sample-templates/predictor/flowserv.yaml \
    /usr/share/flowdesk/sample-templates/predictor/data/test.csv \
    /usr/share/flowdesk/python/flowserv/__init__.py \
    /usr/share/flowdesk/python/flowserv/util/files.py \
    /usr/share/flowdesk/python/flowserv/service/postproc/client.py; do
    if grep -qxF "$path" "$scratch/files"; then
        ok "contains $path"
    else
        bad "missing $path"
    fi
done
if grep -qE '__pycache__|\.pyc$|/\.[^/]+$' "$scratch/files"; then
    bad "ships caches or hidden files" "$(grep -E '__pycache__|\.pyc$|/\.[^/]+$' "$scratch/files" | head)"
else
    ok "no caches or hidden files"
fi
if grep -q '^/usr/share/flowdesk/sample-templates/bad' "$scratch/files"; then
    bad "ships the test fixtures sample-templates/bad" "$(grep sample-templates/bad "$scratch/files" | head)"
else
    ok "does not ship sample-templates/bad"
fi
if dpkg-deb -c "$deb" | awk '$NF ~ /usr\/bin\/flowdesk$/ {print $1}' | grep -q '^-rwxr-xr-x$'; then
    ok "/usr/bin/flowdesk is executable"
else
    bad "/usr/bin/flowdesk is not mode 755"
fi
dpkg-deb -x "$deb" "$scratch/unpacked"
# The installed binary must not depend on this machine: no absolute path of
# the checkout, the target folder or cargo's registry may be compiled in.
for path in "$PWD" "$(cd "$target_dir" && pwd)" "$cargo_home"; do
    if grep -qaF "$path" "$scratch/unpacked/usr/bin/flowdesk"; then
        bad "the binary contains the build machine's path $path" \
            "$(strings "$scratch/unpacked/usr/bin/flowdesk" | grep -F "$path" | head -n 3)"
    else
        ok "no path under $path in the binary"
    fi
done
if gzip -t "$scratch/unpacked/usr/share/man/man1/flowdesk.1.gz" 2>/dev/null &&
    zcat "$scratch/unpacked/usr/share/man/man1/flowdesk.1.gz" | grep -q '^\.TH FLOWDESK 1'; then
    ok "the man page is a gzipped roff page"
else
    bad "the man page is not a gzipped roff page"
fi
echo "Depends: $(dpkg-deb -f "$deb" Depends)"
echo "Recommends: $(dpkg-deb -f "$deb" Recommends)"

say "Installing with dpkg -i"
installed=1
if ! dpkg -i "$deb"; then
    echo "dpkg -i left dependencies open: apt-get install -f"
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq
fi
if dpkg -s flowdesk 2>/dev/null | grep -q '^Status: install ok installed$'; then
    ok "the package is installed"
else
    die "the package is not installed" "$(dpkg -s flowdesk 2>&1 | head -n 3)"
fi
[ -x /usr/bin/flowdesk ] || die "/usr/bin/flowdesk is missing after the install"

say "Running as an unprivileged user with an empty home"
if ! id "$user" >/dev/null 2>&1; then
    useradd -m "$user"
    created_user=1
fi
home="$scratch/home"
mkdir -p "$home"
chown "$user" "$home"
# A clean environment: no Rust toolchain, no cargo, no FLOWDESK_* or
# FLOWSERV_* settings leaking in from CI, the user's own XDG data folder.
as_user() {
    (cd / && runuser -u "$user" -- env -i \
        PATH=/usr/local/bin:/usr/bin:/bin \
        HOME="$home" \
        XDG_DATA_HOME="$home/.local/share" \
        LANG=C.UTF-8 \
        "$@")
}
if output=$(as_user flowdesk --help 2>&1) && grep -q 'Usage: flowdesk' <<<"$output"; then
    ok "flowdesk --help"
else
    bad "flowdesk --help" "$output"
fi
if output=$(as_user flowdesk --version 2>&1) && grep -q '^flowdesk ' <<<"$output"; then
    ok "flowdesk --version: $output"
else
    bad "flowdesk --version" "$output"
fi
if output=$(as_user flowdesk workflows 2>&1); then
    echo "$output" | sed 's/^/        /'
    if grep -q 'Hello World (sample)' <<<"$output"; then
        ok "flowdesk workflows lists the bundled 'Hello World (sample)'"
    else
        bad "flowdesk workflows does not list 'Hello World (sample)'" "$output"
    fi
else
    bad "flowdesk workflows failed" "$output"
fi
data="$home/.local/share/flowdesk"
if [ -f "$data/flowdesk.db" ] && [ "$(stat -c %U "$data/flowdesk.db")" = "$user" ]; then
    ok "the samples went into the user's data folder ($data)"
else
    bad "no database owned by $user in $data" "$(ls -la "$data" 2>&1)"
fi
if output=$(as_user flowdesk template check /usr/share/flowdesk/sample-templates/predictor 2>&1); then
    ok "flowdesk template check on the installed predictor sample"
else
    bad "flowdesk template check on the installed predictor sample" "$output"
fi
if command -v python3 >/dev/null 2>&1; then
    if output=$(as_user flowdesk run 'Hello World (sample)' --arg sleeptime=0 --wait </dev/null 2>&1) &&
        grep -q 'SUCCESS' <<<"$output"; then
        ok "a run of the installed 'Hello World (sample)' succeeds"
    else
        bad "a run of the installed 'Hello World (sample)'" "$output"
    fi
else
    echo "  note  python3 is not installed: the sample run is skipped"
fi
# The window, if this machine can show one: start the app under a virtual X
# server and check it is still up after a few seconds (a missing window
# library makes it exit at once with "cannot open the window").
if command -v Xvfb >/dev/null 2>&1; then
    # A display number no other X server on this machine uses.
    n=90
    while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
    display=":$n"
    Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    sleep 1
    # `exec` so that $! is runuser itself, which passes SIGTERM on to the app.
    (cd / && exec runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$home" \
        XDG_DATA_HOME="$home/.local/share" DISPLAY="$display" LANG=C.UTF-8 \
        flowdesk >"$scratch/gui.log" 2>&1) &
    gui=$!
    sleep 5
    if kill -0 "$gui" 2>/dev/null; then
        ok "the window opens under Xvfb"
        kill -TERM "$gui" 2>/dev/null || true
    else
        bad "the app exited under Xvfb" "$(cat "$scratch/gui.log")"
    fi
    wait "$gui" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    wait "$xvfb" 2>/dev/null || true
else
    echo "  note  Xvfb is not installed: the window check is skipped"
fi

say "Desktop entry"
if output=$(desktop-file-validate /usr/share/applications/flowdesk.desktop 2>&1); then
    [ -n "$output" ] && echo "$output" | sed 's/^/        /'
    ok "desktop-file-validate /usr/share/applications/flowdesk.desktop"
else
    bad "desktop-file-validate /usr/share/applications/flowdesk.desktop" "$output"
fi
if grep -qx 'Exec=flowdesk %f' /usr/share/applications/flowdesk.desktop &&
    grep -qx 'Icon=flowdesk' /usr/share/applications/flowdesk.desktop; then
    ok "the entry starts flowdesk with the opened path and uses the flowdesk icon"
else
    bad "the entry's Exec or Icon line is wrong"
fi

say "Removing the package"
if dpkg -r flowdesk >/dev/null && [ ! -e /usr/bin/flowdesk ] &&
    [ ! -e /usr/share/flowdesk/sample-templates ]; then
    installed=
    ok "dpkg -r flowdesk removes the binary and the samples"
else
    bad "dpkg -r flowdesk left files behind"
fi
