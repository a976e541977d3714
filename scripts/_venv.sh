# Sourced by scripts/run, scripts/test and the Makefile: the project's .venv,
# made with Python 3.11+ when missing, and a requirements file installed into
# it only when the file (or one it includes with -r) changed since the last
# install. The stamp lives inside .venv, so a new venv always installs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VENV_PY="$VENV/bin/python"

if [ -t 2 ]; then _bold=$'\033[1m' _yellow=$'\033[33m' _plain=$'\033[0m'; else _bold="" _yellow="" _plain=""; fi
say() { printf '%s==> %s%s\n' "$_bold" "$*" "$_plain" >&2; }
warn() { printf '%sWARNING: %s%s\n' "$_yellow" "$*" "$_plain" >&2; }

_python_ok() {  # a Python 3.11 or newer that can make a venv
    "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

_find_python() {
    local candidate
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && _python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# The digest of a requirements file and the files it includes with -r.
_requirements_digest() {
    local file="$1" dir included
    dir="$(dirname "$file")"
    {
        cat "$file"
        sed -n 's/^-r[[:space:]]*//p' "$file" | while read -r included; do
            cat "$dir/$included"
        done
    } | sha256sum | cut -d' ' -f1
}

# ensure_venv requirements.txt | requirements/FILE.txt
ensure_venv() {
    local requirements="$ROOT/$1" stamp digest python
    if ! _python_ok "$VENV_PY"; then
        python="$(_find_python)" || {
            echo "Python 3.11 or newer is needed (python3.11 or python3 on PATH)." >&2
            exit 1
        }
        if [ -e "$VENV" ]; then
            warn "$VENV is not a working Python 3.11+ environment: making it again."
        fi
        rm -rf "$VENV"
        say "Creating .venv with $python ($("$python" -V 2>&1))"
        "$python" -m venv "$VENV"
    fi
    stamp="$VENV/.installed-$(basename "$1")"
    digest="$(_requirements_digest "$requirements")"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
        say "Installing $1 into .venv"
        "$VENV_PY" -m pip install --disable-pip-version-check --quiet -r "$requirements"
        echo "$digest" >"$stamp"
    fi
}

# True for the values django-environ reads as true.
is_true() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        true | on | ok | y | yes | 1) return 0 ;;
        *) return 1 ;;
    esac
}
