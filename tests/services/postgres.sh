#!/usr/bin/env bash
# Starts Debian's PostgreSQL on 127.0.0.1:5432 and makes the role the tests use
# (tutorial/tutorial, allowed to create databases). Idempotent.
set -euo pipefail
ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
[ -n "$ver" ] || { echo "postgres: not installed (apt-get install postgresql)" >&2; exit 1; }
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
  pg_createcluster "$ver" main >/dev/null
fi
if ! pg_lsclusters -h | grep -q "^$ver main .* online"; then
  pg_ctlcluster "$ver" main start
fi
for _ in $(seq 1 60); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "postgres: not ready on 127.0.0.1:5432" >&2; exit 1; }
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='tutorial'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE tutorial LOGIN CREATEDB PASSWORD 'tutorial'\""
echo "postgres: ready on 127.0.0.1:5432 (role tutorial)"
