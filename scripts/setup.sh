#!/usr/bin/env bash
# Sets up everything SkillCert needs on this machine, idempotently:
#   1. system packages (WeasyPrint's pango/harfbuzz, a CJK font, poppler; chromium for tests),
#   2. a virtualenv in .venv with Python >= 3.11 and the pinned requirements,
#   3. a local secret key in var/secret_key.
# Usage: scripts/setup.sh [--test]     (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- 1. system packages --------------------------------------------------------------------
# texlive-lang-chinese brings FandolFang, the openly licensed 仿宋 face of the certificate's fill-in text.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fontconfig
          fonts-noto-cjk fonts-babelstone-han poppler-utils texlive-lang-chinese)
[ "$for_tests" = 1 ] && packages+=(chromium)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then apt_get=(apt-get)
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then apt_get=(sudo apt-get)
    else
      echo "缺少系统软件包 / missing system packages: ${missing[*]}" >&2
      echo "请以管理员身份安装后重试 / install them as root, then run this again:" >&2
      echo "    sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${apt_get[@]}" update -qq
    "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  # Not Debian: check the two things WeasyPrint cannot do without and say what to install.
  if ! fc-list ':lang=zh' 2>/dev/null | grep -q .; then
    echo "No CJK font found. Install Noto CJK (e.g. 'dnf install google-noto-sans-cjk-fonts' or 'brew install --cask font-noto-sans-cjk')." >&2
    exit 1
  fi
  if ! { ldconfig -p 2>/dev/null | grep -q libpango-1.0; } && ! ls /opt/homebrew/lib/libpango-1.0* >/dev/null 2>&1; then
    echo "Pango is missing. Install pango and harfbuzz from your system's packages." >&2
    exit 1
  fi
fi

# --- 2. virtualenv -------------------------------------------------------------------------
python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; }
if [ ! -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
  py=""
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate" && { py=$candidate; break; }
  done
  if [ -z "$py" ]; then
    echo "Python 3.11 or newer is required (e.g. 'sudo apt-get install python3.11 python3.11-venv')." >&2
    exit 1
  fi
  say "creating .venv with $($py --version)"
  rm -rf .venv
  "$py" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python requirements"
  # (grep drops the noise of pip find-links that do not exist on this machine)
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
  .venv/bin/python -m pip install -q -r requirements.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
  echo "$want" > "$stamp"
fi

# --- 3. local secret key ---------------------------------------------------------------------
mkdir -p var
if [ -z "${SECRET_KEY:-}" ] && [ ! -s var/secret_key ]; then
  (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))' > var/secret_key)
  say "created var/secret_key"
fi
say "ready"
