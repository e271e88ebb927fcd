#!/bin/sh
# The initial table copy of a subscription on real servers (docs/model-postgres.md, "Upgrade by logical
# replication", the initial copy): a publisher (PUB bindir) with three tables of SIZES MB, a subscriber (SUB
# bindir) with the same schema, a pgbench writer on the publisher during the copy, then CREATE SUBSCRIPTION
# (copy_data = true) with max_sync_workers_per_subscription = 2. Every second: the tables' srsubstate, the
# publisher's slots (restart_lsn, catalog_xmin, temporary), the walsenders' backend_xmin, WAL retained.
# RESTART=1: the publisher restarts (fast) 6 s into the copy; 2: the subscriber stops 6 s into the copy and
# starts 10 s later; 3: max_slot_wal_keep_size = 64MB on the publisher, which writes 1 MB rows into w and
# checkpoints every second during the copy; 4: DROP SUBSCRIPTION 6 s into the copy (the rows the subscriber
# has then, the slots left on the publisher); 5: statement_timeout = 3s on the publisher. W:
# max_sync_workers_per_subscription (default 2).
#   sh conformance/logical/observe-initial-copy.sh PUBBIN SUBBIN /tmp/logical2/ic "400 200 100" RESTART
PB=$1; SB=$2; D=${3:-/tmp/logical2/ic}; SIZES=${4:-"400 200 100"}; RESTART=${5:-0}
R="runuser -u postgres --"
BIN=/usr/lib/postgresql/15/bin
P="$R $BIN/psql -h $D -p 25601 -X -q -At -d postgres"
S="$R $BIN/psql -h $D -p 25602 -X -q -At -d postgres"
rm -rf "$D" && mkdir -p "$D" && chown postgres "$D"
$R "$PB/initdb" -D "$D/p" -A trust >/dev/null
$R "$SB/initdb" -D "$D/s" -A trust >/dev/null
printf "port=25601\nunix_socket_directories='%s'\nwal_level=logical\nmax_wal_size=4GB\nlog_min_messages=info\n" "$D" >> "$D/p/postgresql.conf"
[ "$RESTART" = 3 ] && printf "max_slot_wal_keep_size=64MB\n" >> "$D/p/postgresql.conf"
printf "port=25602\nunix_socket_directories='%s'\nmax_sync_workers_per_subscription=${W:-2}\nmax_wal_size=4GB\n" "$D" >> "$D/s/postgresql.conf"
$R "$PB/pg_ctl" -D "$D/p" -l "$D/p.log" -w start >/dev/null
$R "$SB/pg_ctl" -D "$D/s" -l "$D/s.log" -w start >/dev/null
i=0
for mb in $SIZES; do
  i=$((i+1))
  # ~ 7,000 rows per MB of heap (row of ~ 140 bytes with its header); plus the primary key's index
  rows=$((mb*7000))
  for X in "$P" "$S"; do $X -c "create table t$i (id bigint primary key, pad text)"; done
  t0=$(date +%s.%N)
  $P -c "insert into t$i select g, repeat('x', 100) from generate_series(1, $rows) g"
  echo "t$i: $($P -c "select pg_size_pretty(pg_table_size('t$i')), pg_size_pretty(pg_indexes_size('t$i'))") loaded in $(echo "$(date +%s.%N) - $t0" | bc) s"
done
for X in "$P" "$S"; do $X -c "create table w (id bigserial primary key, pad text)"; done
[ "$RESTART" = 3 ] && $P -c "alter table w alter pad set storage external"
$P -c "checkpoint" -c "create publication pub for all tables"
[ "$RESTART" = 5 ] && $P -c "alter system set statement_timeout = '3s'" -c "select pg_reload_conf()"
printf "insert into w(pad) values (repeat('y', 100));\n" > "$D/w.sql"; chown postgres "$D/w.sql"
$R $BIN/pgbench -h "$D" -p 25601 -n -f "$D/w.sql" -R 500 -T 120 postgres > "$D/pgbench.log" 2>&1 &
BENCH=$!
sleep 2
T0=$(date +%s.%N)
echo "create subscription at $($P -c 'select pg_current_wal_lsn()')"
$S -c "create subscription sub connection 'host=$D port=25601 dbname=postgres' publication pub"
n=0
while [ $n -lt 60 ]; do
  n=$((n+1))
  el=$(echo "$(date +%s.%N) - $T0" | bc | cut -c1-5)
  st=$($S -c "select string_agg(srrelid::regclass || '=' || srsubstate::text, ' ' order by srrelid::regclass::text) from pg_subscription_rel")
  cp=$($S -c "select string_agg(relid::regclass || ':' || pg_size_pretty(bytes_processed), ' ') from pg_stat_progress_copy" 2>/dev/null)
  sl=$($P -c "select string_agg(slot_name || '(' || temporary || ',' || coalesce(active::text,'') || ') restart ' || coalesce(restart_lsn::text,'-') || ' cxmin ' || coalesce(catalog_xmin::text,'-') || ' held ' || coalesce(pg_size_pretty(pg_current_wal_lsn() - restart_lsn),'-'), '; ' order by slot_name) from pg_replication_slots" 2>/dev/null)
  bx=$($P -c "select string_agg(coalesce(backend_xmin::text,'-'), ',') from pg_stat_activity where backend_type = 'walsender'" 2>/dev/null)
  hz=$($P -c "select txid_current_if_assigned(), (select count(*) from pg_stat_activity where backend_xmin is not null)" 2>/dev/null)
  echo "$el s | $st | copy $cp | slots $sl | walsender xmin $bx"
  if [ "$RESTART" = 1 ] && [ $n = 6 ]; then echo "--- publisher restart (fast)"; $R "$PB/pg_ctl" -D "$D/p" -w restart -m fast -l "$D/p.log" >/dev/null; fi
  if [ "$RESTART" = 2 ] && [ $n = 6 ]; then echo "--- subscriber stop (fast)"; $R "$SB/pg_ctl" -D "$D/s" -w stop -m fast >/dev/null; fi
  if [ "$RESTART" = 2 ] && [ $n = 16 ]; then echo "--- subscriber start"; $R "$SB/pg_ctl" -D "$D/s" -l "$D/s.log" -w start >/dev/null; fi
  if [ "$RESTART" = 4 ] && [ $n = 6 ]; then echo "--- drop subscription"; $S -c "drop subscription sub"; echo "subscriber rows: $($S -c "select (select count(*) from t1), (select count(*) from t2), (select count(*) from t3)")"; echo "publisher slots: $($P -c "select string_agg(slot_name, ' ') from pg_replication_slots")"; break; fi
  if [ "$RESTART" = 3 ] && [ $n -lt 12 ]; then $P -c "insert into w(pad) select repeat('z', 1000000) from generate_series(1, 40)" -c "checkpoint" 2>&1 | head -2; fi
  case "$st" in *=i*|*=d*|*=f*|*=s*) ;; "") [ $n -gt 20 ] && break;; *) echo "all ready"; break;; esac
  sleep 1
done
kill $BENCH 2>/dev/null; wait $BENCH 2>/dev/null
sleep 2
echo "publisher rows: $($P -c "select (select count(*) from t1), (select count(*) from w)")  subscriber: $($S -c "select (select count(*) from t1), (select count(*) from w)")"
echo "slots after: $($P -c "select string_agg(slot_name, ' ') from pg_replication_slots")"
grep -E "table synchronization|sync_|tablesync|ERROR|could not" "$D/s.log" | head -20
$R "$SB/pg_ctl" -D "$D/s" -w stop -m fast >/dev/null
$R "$PB/pg_ctl" -D "$D/p" -w stop -m fast >/dev/null
