#!/bin/sh
# Observations of PostgreSQL 15 (Debian's, /usr/lib/postgresql/15/bin) behind test/conformance/vacuum-15.json:
# the wraparound WARNING and ERROR and the database they name (pg_resetwal moves the next XID near the
# limits), and a lock queue behind a waiting ALTER TABLE. Run as a user that may run initdb (not root):
#   su postgres -c 'sh conformance/vacuum/observe-15.sh /tmp/pgx'
# It prints what the server said; the JSON records what it printed on 15.18 (docs/model-vacuum.md).
set -e
DIR=${1:-/tmp/pgx}
B=/usr/lib/postgresql/15/bin
P="$B/psql -h $DIR -p 55432 -At"
start() { $B/pg_ctl -D "$DIR/d" -o "-p 55432 -k $DIR -c listen_addresses=" -l "$DIR/log" start >/dev/null; sleep 2; }
stop() { $B/pg_ctl -D "$DIR/d" stop -m fast >/dev/null; }
setxid() { # the next XID, with a zeroed pg_xact segment for it
  $B/pg_resetwal -x "$1" "$DIR/d" >/dev/null
  dd if=/dev/zero of="$DIR/d/pg_xact/$(printf %04X $(($1 / 1048576)))" bs=262144 count=1 2>/dev/null
}
rm -rf "$DIR/d" && mkdir -p "$DIR" && $B/initdb -D "$DIR/d" -A trust >/dev/null
start
$P -d postgres -c "create database app"
$P -d app -c "create table t (a int)" -c "insert into t values (1)"
# Freeze everything but app: app holds the oldest datfrozenxid.
$P -d postgres -c "update pg_database set datallowconn = true where datname = 'template0'"
for d in postgres template1 template0; do $P -d $d -c "vacuum freeze" >/dev/null; done
$P -d postgres -c "update pg_database set datallowconn = false where datname = 'template0'"
$P -d postgres -c "select datname, datfrozenxid from pg_database"
stop
# 10 XIDs past the warn limit (2^31 - 1 + 716 - 40,000,000 + 10), then 2 before the stop limit.
setxid 2107484373; start
echo "--- warn"; $P -d app -c "insert into t values (2)" 2>&1; $P -d app -c "insert into t values (3)" 2>&1
stop; setxid 2144484361; start
echo "--- stop"; for i in 1 2 3; do $P -d app -c "insert into t values ($i)" 2>&1; done
echo "--- read-only"; $P -d app -c "select count(*) from t" 2>&1
echo "--- database-wide VACUUM in app"; $P -d app -c "vacuum" 2>&1 | tail -1; $P -d app -c "insert into t values (9)" 2>&1
echo "--- lock queue"
( echo "begin; lock t in share update exclusive mode; select pg_sleep(8); commit;" | $P -d app >/dev/null 2>&1 & )
sleep 1
( $P -d app -c "set lock_timeout = '3s'" -c "alter table t add column y int" > "$DIR/ddl.out" 2>&1 & )
sleep 0.5
s=$(date +%s.%N); $P -d app -c "select count(*) from t" >/dev/null; e=$(date +%s.%N)
echo "select waited $(echo "$e - $s" | bc) s (started 0.5 s after the ALTER, which has lock_timeout 3s)"
sleep 4; grep ERROR "$DIR/ddl.out"
stop
