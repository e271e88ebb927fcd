#!/bin/sh
# Whether a replication slot invalidated by max_slot_wal_keep_size still holds the xmin horizon, on a real server
# (docs/model-postgres.md, Transaction IDs, slots and wraparound): a logical slot (catalog_xmin), 500 XIDs, then
# WAL past max_slot_wal_keep_size = 32MB and CHECKPOINTs until the slot is lost; VACUUM FREEZE pg_class before
# and after. Observed on 13.23, 14.23, 15.18 and 16.14 (2026-12): age 500 before (held at catalog_xmin), 0 after
# (released). Debian's psql is the client.
#   su postgres -c 'sh conformance/slots/observe-invalidated-xmin.sh BINDIR /tmp/pgi'
set -e
B=$1
DIR=${2:-/tmp/pgi}
P="/usr/lib/postgresql/15/bin/psql -X -h $DIR -p 55134 -At -d postgres"
rm -rf "$DIR/d" && mkdir -p "$DIR" && "$B/initdb" -D "$DIR/d" -A trust >/dev/null
"$B/pg_ctl" -D "$DIR/d" -o "-p 55134 -k $DIR -c listen_addresses= -c autovacuum=off -c wal_level=logical -c max_slot_wal_keep_size=32MB -c max_wal_size=64MB -c min_wal_size=32MB" -l "$DIR/log" -w start >/dev/null
$P -c "select 'server ' || current_setting('server_version')"
$P -c "select 'slot ' || slot_name from pg_create_logical_replication_slot('ls', 'test_decoding')"
burn() { i=0; while [ $i -lt 500 ]; do echo "select txid_current();"; i=$((i + 1)); done | $P >/dev/null; }
burn
$P -c "vacuum freeze pg_class" -c "select 'held ' || age(relfrozenxid) from pg_class where relname = 'pg_class'"
for t in a b; do
  $P -c "create table $t as select g from generate_series(1, 3000000) g" -c "select pg_switch_wal()" -c "checkpoint" >/dev/null
done
$P -c "select 'wal_status ' || wal_status from pg_replication_slots"
burn
$P -c "vacuum freeze pg_class" -c "select 'after ' || age(relfrozenxid) from pg_class where relname = 'pg_class'"
"$B/pg_ctl" -D "$DIR/d" stop -m fast >/dev/null
