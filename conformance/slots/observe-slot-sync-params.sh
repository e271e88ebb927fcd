#!/bin/sh
# 17: a standby with sync_replication_slots = on but hot_standby_feedback off, then without dbname in
# primary_conninfo: what the server logs (docs/model-postgres.md, failover slots). Observed on 17.10 (2026-12):
# LOG "replication slot synchronization requires \"hot_standby_feedback\" to be enabled" at its start; then
# ERROR "... requires \"dbname\" to be specified in \"primary_conninfo\"". Ports 25621-25622, /tmp/logical2/ss.
B=/var/cache/replsim-pg/17.10.0-beta.17/native/bin
D=/tmp/logical2/ss
R="runuser -u postgres --"
PSQL=/usr/lib/postgresql/15/bin/psql
P="$R $PSQL -h $D -p 25621 -X -q -At -d postgres"
rm -rf $D && mkdir -p $D/p && chown -R postgres $D
$R $B/initdb -D $D/p -A trust >/dev/null
printf "port=25621\nunix_socket_directories='%s'\nwal_level=logical\n" $D >> $D/p/postgresql.conf
$R $B/pg_ctl -D $D/p -l $D/p.log -w start >/dev/null
$P -c "select pg_create_physical_replication_slot('s_slot', true)" -c "select pg_create_logical_replication_slot('cdc', 'pgoutput', false, false, true)" >/dev/null
$R $B/pg_ctl -D $D/p -w stop -m fast >/dev/null
cp -a $D/p $D/s && rm -rf $D/s/pg_replslot/* $D/s/postmaster.pid
# hot_standby_feedback off (the default); then primary_slot_name missing; then dbname missing
printf "port=25622\nprimary_conninfo='host=%s port=25621 user=postgres dbname=postgres'\nprimary_slot_name='s_slot'\nsync_replication_slots=on\n" $D >> $D/s/postgresql.conf
touch $D/s/standby.signal && chown -R postgres $D/s
$R $B/pg_ctl -D $D/p -l $D/p.log -w start >/dev/null
$R $B/pg_ctl -D $D/s -l $D/s.log -w start >/dev/null
sleep 8
echo "== hot_standby_feedback off:"; grep -iE "synchroniz" $D/s.log | head -5
printf "hot_standby_feedback=on\nprimary_conninfo='host=%s port=25621 user=postgres'\n" $D >> $D/s/postgresql.conf
$R $B/pg_ctl -D $D/s -w reload >/dev/null; sleep 4
echo "== no dbname:"; grep -iE "synchroniz" $D/s.log | tail -3
$R $B/pg_ctl -D $D/s -w stop -m fast >/dev/null; $R $B/pg_ctl -D $D/p -w stop -m fast >/dev/null
