#!/usr/bin/env bash
# Install what the tests need, then run pytest from the repository root.
# Arguments go to pytest. Exits with pytest's status, and treats "no tests collected" as failure.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install.sh || exit $?

.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "test: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
