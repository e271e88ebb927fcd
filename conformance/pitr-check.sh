#!/bin/bash
# Point-in-time recovery on a real server, for docs/model-postgres.md (Point-in-time recovery) and pitr.ts:
# a primary archiving with cp, a base backup (Debian's pg_basebackup 15, which serves servers up to 15),
# three commits a second apart, a restore of the backup with restore_command and a target, and the log lines,
# rows, history files and recovery files that result. Run as the postgres user (or root: it switches).
#   conformance/pitr-check.sh BINDIR PORT TARGET ACTION
#   TARGET: lsn | time (the LSN/time after the second commit) | latest | immediate | future (2099)
#   ACTION: promote | pause | shutdown
# Example: conformance/pitr-check.sh /var/cache/replsim-pg/13.23.0-beta.16/native/bin 56103 future promote
set -u
if [ "$(id -u)" = 0 ]; then exec su postgres -c "$0 $*"; fi
BIN=$1; PORT=$2; KIND=$3; ACTION=$4
W=$(mktemp -d /tmp/pitr-check.XXXX)
PSQL="/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p $PORT -U postgres -d postgres -Atq"
MAJ=$($BIN/postgres --version | sed -E 's/.* ([0-9]+)\..*/\1/')
mkdir $W/arch
$BIN/initdb -D $W/p -U postgres -A trust >/dev/null 2>&1 || { echo initdb failed; exit 1; }
cat >> $W/p/postgresql.conf <<C
port=$PORT
listen_addresses='127.0.0.1'
unix_socket_directories='$W'
wal_level=replica
archive_mode=on
archive_command='cp %p $W/arch/%f'
max_wal_senders=5
log_line_prefix='%b '
C
echo "host replication all 127.0.0.1/32 trust" >> $W/p/pg_hba.conf
$BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null
$PSQL -c "create table t(i int)"
/usr/lib/postgresql/15/bin/pg_basebackup -h 127.0.0.1 -p $PORT -U postgres -D $W/backup -X stream -c fast 2>&1 | tail -2
$PSQL -c "insert into t values (1)"; sleep 1.1
$PSQL -c "insert into t values (2)"
L=$($PSQL -c "select pg_current_wal_lsn()")
T=$($PSQL -c "select now()")
sleep 1.1
$PSQL -c "insert into t values (3)"
$PSQL -c "select pg_switch_wal()" >/dev/null
sleep 2
$BIN/pg_ctl -D $W/p -w stop -m fast >/dev/null
cp -a $W/backup $W/r; chmod 700 $W/r
rm -f $W/r/pg_wal/0*
case $KIND in
  lsn) TGT="recovery_target_lsn='$L'";;
  time) TGT="recovery_target_time='$T'";;
  latest) TGT="";;
  immediate) TGT="recovery_target='immediate'";;
  future) TGT="recovery_target_time='2099-01-01 00:00:00+00'";;
esac
REC="restore_command='cp $W/arch/%f %p'
$TGT
recovery_target_action='$ACTION'"
if [ "$MAJ" -le 11 ]; then echo "$REC" > $W/r/recovery.conf; else echo "$REC" >> $W/r/postgresql.conf; touch $W/r/recovery.signal; fi
$BIN/pg_ctl -D $W/r -l $W/r.log -w -t 20 start >/dev/null 2>&1
sleep 2
echo "target $KIND L=$L T=$T"
echo "rows: $($PSQL -c 'select string_agg(i::text, chr(44) order by i) from t' 2>&1)  in_recovery: $($PSQL -c 'select pg_is_in_recovery()' 2>&1)"
grep -v "restored log file\|cannot stat\|^$" $W/r.log | sed 's/^[0-9-]* [0-9:.]* [A-Z]* //' | cut -c1-200
echo "--- history files:"; for f in $W/r/pg_wal/*.history; do [ -f "$f" ] && { echo "$f:"; cat "$f"; }; done
echo "--- recovery files:"; ls $W/r/ | grep -i "recovery"
$BIN/pg_ctl -D $W/r -w stop -m fast >/dev/null 2>&1
rm -rf $W
