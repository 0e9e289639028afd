#!/usr/bin/env bash
# Create one virtual environment per peer connector and install it there, idempotently.
#
# Why separate venvs: tap-dixa pins singer-python 5 / jsonschema 2.6 / backoff 1.10, and
# airbyte-source-dixa needs airbyte-cdk 0.x (pydantic 1, pendulum 2); neither can share an
# environment with our project (or with each other). The runners next to this script are run
# with each venv's own python.
#
# Pins:
#   tap-dixa==1.0.10             newest release; installs as is on Python 3.11.
#   airbyte-source-dixa==0.3.14  metadata says Python >=3.9,<3.12, so pip takes it on 3.11 with
#   airbyte-cdk==0.90.0          no flag. The CDK pin is the connector's own poetry.lock; that CDK
#                                fails to *import* on 3.11 (dataclass defaults), which
#                                run_airbyte_dixa.py works around at run time.
#
# Idempotent: a venv is created only if missing, and its packages are installed only when the
# stamp file does not record exactly the requirements below. Set PYTHON to choose the
# interpreter (default python3), FORCE=1 to reinstall.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(cd "$here/.." && pwd)/.work"
python="${PYTHON:-python3}"

install_peer() {
    local name="$1"
    shift
    local venv="$work/$name"
    local stamp="$venv/.peer-requirements"
    local wanted="$*"

    if [[ ! -x "$venv/bin/python" ]]; then
        echo "creating $venv" >&2
        "$python" -m venv "$venv"
    fi
    if [[ "${FORCE:-0}" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        echo "$name: up to date ($wanted)" >&2
        return
    fi
    echo "$name: installing $wanted" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    "$venv/bin/python" -m pip check >&2 || echo "$name: pip check reported conflicts" >&2
    printf '%s' "$wanted" >"$stamp"
}

mkdir -p "$work"
install_peer venv-tap-dixa "tap-dixa==1.0.10"
install_peer venv-airbyte-dixa "airbyte-source-dixa==0.3.14" "airbyte-cdk==0.90.0"
echo "peers ready under $work" >&2
