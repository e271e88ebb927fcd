#!/bin/sh
# Observations of PostgreSQL 15 (Debian's, /usr/lib/postgresql/15/bin) behind the workloads' long queries
# (test/models/long-queries.test.ts, docs/model-vacuum.md): the horizon a long read holds is the XID of the
# oldest transaction running when it took its snapshot (procarray.c GetSnapshotData, ComputeXidHorizons), even
# after that transaction ended; a DDL waits for a long SELECT and the SELECTs after it wait behind the DDL.
# Run as a user that may run initdb (not root):  su postgres -c 'sh conformance/vacuum/observe-long-queries-15.sh /tmp/lq'
set -e
DIR=${1:-/tmp/lq}
B=/usr/lib/postgresql/15/bin
P="$B/psql -h $DIR -p 55433 -At -d postgres"
rm -rf "$DIR/d" && mkdir -p "$DIR" && $B/initdb -D "$DIR/d" -A trust >/dev/null
$B/pg_ctl -D "$DIR/d" -o "-p 55433 -k $DIR -c listen_addresses= -c autovacuum=off" -l "$DIR/log" start >/dev/null; sleep 2
$P -c "create table t (a int)" -c "insert into t select generate_series(1, 1000)"
echo "--- a long write transaction W, then a long read R started while W runs; W ends before R"
( $P -c "begin" -c "select 'W xid', txid_current()" -c "select pg_sleep(6)" -c "commit" > "$DIR/w.out" 2>&1 & )
sleep 1
( $P -c "select 'R done', pg_sleep(12)" > "$DIR/r.out" 2>&1 & )
sleep 1
$P -c "select 'during W: ' || coalesce(backend_xid::text, '-') || ' xmin ' || coalesce(backend_xmin::text, '-') from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid() order by backend_start"
sleep 6
cat "$DIR/w.out" | grep 'W xid'
$P -c "select 'after W: R backend_xmin ' || backend_xmin from pg_stat_activity where query like '%R done%' and pid <> pg_backend_pid()"
$P -c "delete from t where a <= 500"
echo "--- VACUUM VERBOSE while R runs (W has ended): the oldest xmin is W's XID"
$P -c "vacuum verbose t" 2>&1 | grep -E "removable|oldest xmin|cannot be removed" || true
sleep 6
echo "--- after R: VACUUM again"
$P -c "vacuum verbose t" 2>&1 | grep -E "removable|oldest xmin" || true
echo "--- lock queue: a SELECT of 8 s, an ALTER TABLE 1 s later, a SELECT 1 s after that"
s0=$(date +%s.%N)
( $P -c "select pg_sleep(8) from t limit 1" >/dev/null 2>&1 & )
sleep 1
( $P -c "alter table t add column y int" >/dev/null 2>&1; echo "alter done $(echo "$(date +%s.%N) - $s0" | bc)" > "$DIR/alter.out" ) &
sleep 1
$P -c "select count(*) from t" >/dev/null; echo "select (started at 2 s) done $(echo "$(date +%s.%N) - $s0" | bc)"
wait; cat "$DIR/alter.out"
$B/pg_ctl -D "$DIR/d" stop -m fast >/dev/null
