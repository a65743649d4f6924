#!/usr/bin/env bash
# Installs what the real-client tests use, if anything is missing. Debian packages:
# opensc (pkcs11-tool), gnutls-bin (p11tool), p11-kit and p11-kit-modules (p11-kit-proxy.so),
# softhsm2 (the side-by-side reference), and for conformance-tests/scripts/consumers-extra.sh:
# openssl, libengine-pkcs11-openssl (the libp11 engine), libnss3-tools (certutil, modutil),
# openssh-client (ssh-keygen, ssh-agent, ssh-add), openjdk-17-jre-headless (keytool) and
# python3-venv; valgrind (scripts/valgrind-conformance.sh). Then a .venv at the repository root with python-pkcs11 and cryptography (PyPI),
# and PyKMIP for conformance-tests/scripts/kmip-pykmip.sh (its client against kmip-server) and
# the KMIP benchmark (its server, which also needs SQLAlchemy).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
command -v pkcs11-tool >/dev/null || missing+=(opensc)
command -v p11tool >/dev/null || missing+=(gnutls-bin)
command -v p11-kit >/dev/null || missing+=(p11-kit)
installed p11-kit-modules || missing+=(p11-kit-modules)
command -v softhsm2-util >/dev/null || missing+=(softhsm2)
command -v openssl >/dev/null || missing+=(openssl)
installed libengine-pkcs11-openssl || missing+=(libengine-pkcs11-openssl)
command -v certutil >/dev/null && command -v modutil >/dev/null || missing+=(libnss3-tools)
for t in ssh-keygen ssh-agent ssh-add; do
    command -v "$t" >/dev/null || { missing+=(openssh-client); break; }
done
command -v keytool >/dev/null || missing+=(openjdk-17-jre-headless)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v valgrind >/dev/null || missing+=(valgrind)

if [ ${#missing[@]} -eq 0 ]; then
    echo "all Debian packages present: pkcs11-tool, p11tool, p11-kit, softhsm2-util, openssl, libp11 engine, certutil, ssh-keygen, keytool, python3 venv, valgrind"
else
    echo "installing: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    echo "installed: ${missing[*]}"
fi

# The Python consumer's packages, in the repository's own virtual environment (gitignored).
venv="$root/.venv"
# PyKMIP 0.10.0 is the last release (2019); it calls ssl.wrap_socket, which Python 3.12 removed
# (kmip_pykmip_client.py supplies it there). Its server needs SQLAlchemy 1.4: with 2.x, whose
# SQLite pool keeps connections, it never returns them and stalls after 15 requests.
py_pkgs=(python-pkcs11==0.10.1 cryptography==50.0.2 pykmip==0.10.0 six==1.17.0 requests==2.34.2 sqlalchemy==1.4.54)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '
import pkcs11, cryptography, kmip, sqlalchemy
assert sqlalchemy.__version__.startswith("1.4.")' 2>/dev/null; then
    echo "python packages present in $venv: python-pkcs11, cryptography, PyKMIP"
else
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${py_pkgs[@]}"
    echo "installed in $venv: ${py_pkgs[*]}"
fi
