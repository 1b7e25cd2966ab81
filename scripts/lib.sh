# Shared by scripts/serve and scripts/test (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CACHE_DIR="${DOCKYARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard}"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# ensure_venv [EXTRA...]: .venv with the project installed editable (`pip install -e .[EXTRA,...]`).
# The stamp .venv/.dockyard-installed lists "<hash of pyproject.toml> <extra>" lines; pip runs only when
# pyproject.toml changed or an extra is asked for that was not installed for this pyproject.toml.
ensure_venv() {
    local stamp="$VENV/.dockyard-installed" hash missing=0 extra spec="."
    hash="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ]; then
        for extra in - "$@"; do
            grep -qx "$hash $extra" "$stamp" || missing=1
        done
        [ "$missing" = 0 ] && return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    [ $# -gt 0 ] && spec=".[$(IFS=,; echo "$*")]"
    log "installing dockyard $spec into .venv (log: .venv/pip.log)"
    if ! (cd "$ROOT" && "$VENV/bin/pip" install --disable-pip-version-check -e "$spec") >"$VENV/pip.log" 2>&1; then
        tail -n 40 "$VENV/pip.log" >&2
        log "pip install failed"
        return 1
    fi
    # Extras installed earlier for the same pyproject.toml stay installed; stamps of an older one go.
    { grep "^$hash " "$stamp" 2>/dev/null || true; for extra in - "$@"; do echo "$hash $extra"; done; } \
        | sort -u >"$stamp.new"
    mv "$stamp.new" "$stamp"
}
