#!/bin/sh
# A DDL against a running autovacuum on PostgreSQL 15 (Debian's, /usr/lib/postgresql/15/bin), behind
# test/conformance/vacuum-15-autovacuum-locks.json: a regular autovacuum is cancelled by a waiting ALTER TABLE
# after deadlock_timeout; an anti-wraparound one is not, and a SELECT queued behind the waiting ALTER waits
# with it. Each table is slowed down by its own reloptions (cost limit 1, delay 100 ms) so the vacuum is
# still running when the DDL comes; the anti-wraparound one is triggered by a table-level
# autovacuum_freeze_max_age of 100,000 and 110,000 XIDs consumed (autovacuum_enabled = false on it: only the
# anti-wraparound vacuum runs, which that does not stop). Run as a user that may run initdb:
#   su postgres -c 'sh conformance/vacuum/observe-autovacuum-locks-15.sh /tmp/pga'
set -e
DIR=${1:-/tmp/pga}
B=/usr/lib/postgresql/15/bin
P="$B/psql -h $DIR -p 55434 -At -d postgres"
rm -rf "$DIR/d" "$DIR/log" && mkdir -p "$DIR" && $B/initdb -D "$DIR/d" -A trust >/dev/null
$B/pg_ctl -D "$DIR/d" -o "-p 55434 -k $DIR -c listen_addresses= -c autovacuum_naptime=1 -c log_autovacuum_min_duration=0 -c deadlock_timeout=1s" -l "$DIR/log" -w start >/dev/null
slow="autovacuum_vacuum_cost_limit = 1, autovacuum_vacuum_cost_delay = 100"
waitfor() { # until pg_stat_activity shows an autovacuum whose query has $1
  for i in $(seq 1 120); do
    q=$($P -c "select query from pg_stat_activity where backend_type = 'autovacuum worker' and query like '%$1%'")
    if [ -n "$q" ]; then echo "running: $q"; return 0; fi
    sleep 0.5
  done
  echo "no autovacuum of $1"; return 1
}
echo "--- regular"
$P -c "create table t (a int) with ($slow)" -c "insert into t select generate_series(1, 200000)" -c "delete from t"
waitfor public.t
s=$(date +%s.%N); $P -c "alter table t add column y int"; e=$(date +%s.%N)
echo "alter waited $(echo "$e - $s" | bc) s"
sleep 1; grep -E "canceling autovacuum task|automatic vacuum of table \"postgres.public.t\"" "$DIR/log" | sed 's/^.*\(ERROR\|CONTEXT\)/\1/' | head -3
echo "--- anti-wraparound"
$P -c "create table u (a int) with ($slow, autovacuum_freeze_max_age = 100000, autovacuum_enabled = false)" -c "insert into u select generate_series(1, 200000)"
$P -c "create procedure burn(n int) language plpgsql as \$\$ begin for i in 1..n loop perform txid_current(); commit; end loop; end \$\$"
$P -c "call burn(110000)"
waitfor 'public.u (to prevent wraparound)'
( $P -c "set lock_timeout = '5s'" -c "alter table u add column y int" > "$DIR/alter.out" 2>&1 & )
sleep 0.5
s=$(date +%s.%N); $P -c "set statement_timeout = '3s'" -c "select count(*) from u" > "$DIR/select.out" 2>&1 || true; e=$(date +%s.%N)
echo "select ended after $(echo "$e - $s" | bc) s: $(cat "$DIR/select.out" | tr '\n' ' ')"
sleep 3; echo "alter: $(cat "$DIR/alter.out" | tr '\n' ' ')"
$P -c "select 'still running: ' || query from pg_stat_activity where backend_type = 'autovacuum worker' and query like '%public.u%'"
echo "cancels in the log: $(grep -c "canceling autovacuum task" "$DIR/log" || true)"
$B/pg_ctl -D "$DIR/d" stop -m immediate >/dev/null
