#!/bin/sh
# 17: a subscription created WITH (failover = true): is its tablesync slot a failover slot too? Observed on 17.10
# (2026-12): yes, pg_<subid>_sync_<relid>_<sysid> has failover = t during the copy (docs/model-postgres.md).
#   sh conformance/logical/observe-tablesync-failover-slot.sh   (as root; ports 25611-25612, /tmp/logical2/fo)
B=/var/cache/replsim-pg/17.10.0-beta.17/native/bin
D=/tmp/logical2/fo
R="runuser -u postgres --"
PSQL=/usr/lib/postgresql/15/bin/psql
P="$R $PSQL -h $D -p 25611 -X -q -At -d postgres"
S="$R $PSQL -h $D -p 25612 -X -q -At -d postgres"
rm -rf $D && mkdir -p $D && chown postgres $D
$R $B/initdb -D $D/p -A trust >/dev/null; $R $B/initdb -D $D/s -A trust >/dev/null
printf "port=25611\nunix_socket_directories='%s'\nwal_level=logical\n" $D >> $D/p/postgresql.conf
printf "port=25612\nunix_socket_directories='%s'\n" $D >> $D/s/postgresql.conf
$R $B/pg_ctl -D $D/p -l $D/p.log -w start >/dev/null; $R $B/pg_ctl -D $D/s -l $D/s.log -w start >/dev/null
for X in "$P" "$S"; do $X -c "create table t (id bigint primary key, pad text)"; done
$P -c "insert into t select g, repeat('x', 100) from generate_series(1, 2000000) g" -c "create publication pub for all tables"
$S -c "create subscription sub connection 'host=$D port=25611 dbname=postgres' publication pub with (failover = true)"
sleep 1
$P -c "select slot_name, failover, temporary from pg_replication_slots"
sleep 8
$P -c "select slot_name, failover from pg_replication_slots"
$R $B/pg_ctl -D $D/s -w stop -m fast >/dev/null; $R $B/pg_ctl -D $D/p -w stop -m fast >/dev/null
