#!/bin/bash
# A commit waiting for a synchronous standby that never connects (synchronous_standby_names names nobody): is its
# row visible to another session on the primary, and on an asynchronous standby that replayed it? Then after
# pg_cancel_backend. For conformance/model.ts (StepRange.writer). Run as postgres (or root: it switches).
#   conformance/sync-visibility-check.sh BINDIR PORTBASE   (uses Debian 15 psql as the client)
if [ "$(id -u)" = 0 ]; then exec su postgres -c "$0 $*"; fi
set -u
BIN=$1; P=$2; S=$((P+1))
W=$(mktemp -d /tmp/sync-visibility.XXXX)
MAJ=$($BIN/postgres --version | sed -E 's/.* ([0-9]+)\..*/\1/')
$BIN/initdb -D $W/p -U postgres -A trust >/dev/null 2>&1
printf "port=$P\nlisten_addresses='127.0.0.1'\nunix_socket_directories='$W'\nwal_level=replica\nmax_wal_senders=4\nsynchronous_standby_names='nobody'\nlog_line_prefix='%%b '\n" >> $W/p/postgresql.conf
echo "host replication all 127.0.0.1/32 trust" >> $W/p/pg_hba.conf
$BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null; $BIN/pg_ctl -D $W/p -w stop >/dev/null
cp -a $W/p $W/s; CI="host=127.0.0.1 port=$P user=postgres application_name=s"
if [ "$MAJ" -le 11 ]; then printf "standby_mode=on\nprimary_conninfo='$CI'\n" > $W/s/recovery.conf; else printf "primary_conninfo='$CI'\n" >> $W/s/postgresql.conf; touch $W/s/standby.signal; fi
printf "port=$S\nsynchronous_standby_names=''\n" >> $W/s/postgresql.conf
$BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null; $BIN/pg_ctl -D $W/s -l $W/s.log -w start >/dev/null; sleep 1
Q="/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -U postgres -d postgres -Atq"
$Q -p $P -c "set synchronous_commit=local; create table t(i int)"; sleep 1
# the sync standby 'nobody' never connects: this commit waits
$Q -p $P -c "insert into t values (1)" & W1=$!
sleep 2
echo "v$MAJ waiting commit: rows on primary (other session): $($Q -p $P -c 'select count(*) from t'); rows on standby: $($Q -p $S -c 'select count(*) from t'); pg_stat_activity wait: $($Q -p $P -c "select wait_event from pg_stat_activity where query like 'insert%'")"
$Q -p $P -c "select pg_cancel_backend(pid) from pg_stat_activity where query like 'insert%'" >/dev/null; sleep 1
echo "v$MAJ after cancel: rows on primary: $($Q -p $P -c 'select count(*) from t')"
wait $W1 2>/dev/null
for d in s p; do $BIN/pg_ctl -D $W/$d -w stop -m immediate >/dev/null 2>&1; done; rm -rf $W
