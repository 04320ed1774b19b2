# Shared by scripts/start and scripts/test: find Python ≥ 3.12 and keep .venv installed.
find_python() {
  local candidates=()
  [ -n "${LIANKE_PYTHON:-}" ] && candidates+=("$LIANKE_PYTHON")
  candidates+=(python3.13 python3.12)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    for v in "$root"/versions/3.13* "$root"/versions/3.12*; do [ -x "$v/bin/python" ] && candidates+=("$v/bin/python"); done
  fi
  candidates+=(python3)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  echo "Lianke needs Python 3.12 or newer (set LIANKE_PYTHON to its path)." >&2
  return 1
}

ensure_venv() {  # $1: pip extra ("" or "dev")
  # Two statements: in one ``local a=… b=$a`` the second word is expanded before ``a`` is set.
  local extra="${1:-}"
  local stamp=".venv/.installed${extra:+-$extra}"
  if [ ! -x .venv/bin/python ]; then
    echo "==> Creating .venv with $(find_python)"
    "$(find_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> Installing Lianke${extra:+ with [$extra]} (pip)"
    .venv/bin/python -m pip install --progress-bar on -e ".${extra:+[$extra]}"
    touch "$stamp"
  fi
}
