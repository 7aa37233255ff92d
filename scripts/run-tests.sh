#!/usr/bin/env bash
# The whole suite on SQLite (the embedded default), then every test that uses a database again
# on PostgreSQL.
# PostgreSQL and Redis are expected on their standard local ports (README: "Services for the
# tests"). Outside CI a missing server skips what needs it, with a warning; with CI=true it
# fails the run, so a CI machine without them can never pass by skipping.
set -euo pipefail
VENV="${1:-.venv}"
shift || true
PY="$VENV/bin/python"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
PG_URL="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"

echo "== test suite on SQLite"
TEST_DATABASE_URL= "$PY" -m pytest "$@"

echo "== tests that use a database, on PostgreSQL ($PG_URL)"
if ! "$PY" - "$PG_URL" <<'PYEOF'
import sys
import psycopg
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1]).set(drivername="postgresql")
try:
    psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=5).close()
except psycopg.OperationalError as err:
    sys.exit(f"PostgreSQL is not reachable: {str(err).strip()}")
PYEOF
then
    if [ "${CI:-}" = "true" ]; then
        echo "CI=true: PostgreSQL is required; failing." >&2
        exit 1
    fi
    echo "warning: skipping the PostgreSQL run (start PostgreSQL or set TEST_DATABASE_URL)" >&2
    exit 0
fi
# Only the tests that use a database: the others (real-model decodes, rules on words, the
# browser's own checks) do not depend on it and have just run in the SQLite pass.
TEST_DATABASE_URL="$PG_URL" "$PY" -m pytest --database-tests-only "$@"
