# Installs the Debian packages of scripts/packages.txt that are missing.
# Only root can install; other users get a list of what is missing instead.
# Expects REPO_DIR to be set by the caller.

install_missing_packages() {
    local wanted package missing=()
    wanted=$(grep -v '^[[:space:]]*\(#\|$\)' "$REPO_DIR/scripts/packages.txt")
    for package in $wanted; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' ||
            missing+=("$package")
    done
    ((${#missing[@]} > 0)) || return 0

    if [[ $(id -u) != 0 ]]; then
        echo "missing Debian packages: ${missing[*]}; install them as root" >&2
        return 1
    fi
    echo "installing ${missing[*]}" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}
