/**
 * A standby cloned from its upstream with the low-level backup API (the embedded servers have no
 * pg_basebackup): in one session, pg_backup_start (≤ 14 pg_start_backup, non-exclusive, fast checkpoint or
 * restartpoint), a file copy of the data directory, pg_backup_stop (≤ 14 pg_stop_backup); its label file
 * becomes backup_label, and the WAL from the backup's start segment is copied from the upstream's pg_wal with
 * the timeline history files, as pg_basebackup -X fetch would (basebackup.c sends every history file).
 * What a base backup leaves out is left out (basebackup.c excludeFiles, excludeDirContents).
 */
import { readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { connectPatiently } from './pgwire.ts';
import { run, type RealCluster, type RealNode } from './real.ts';

const EXCLUDED_FILES = ['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'standby.signal', 'recovery.conf', 'recovery.done', 'recovery.signal', 'current_logfiles', 'replsim.conf'];
const EXCLUDED_DIR_CONTENTS = ['pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans', 'pg_wal'];

function emptyDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f !== 'archive_status') rmSync(join(dir, f), { recursive: true, force: true });
}

export async function clone(c: RealCluster, up: RealNode, n: RealNode): Promise<void> {
  const s = await connectPatiently({ port: up.port, applicationName: 'replsim-backup' });
  try {
    const start = await s.query(`SELECT ${c.flavor.backupStart}`, 120000);
    if (start.error) throw new Error(`backup start on ${up.name} failed: ${start.error.message}`);
    // cp -a as the servers' user keeps modes and ownership; files that vanish during the copy are expected.
    await run('cp', ['-a', up.dir, n.dir], 120000);
    if (!existsSync(join(n.dir, 'global', 'pg_control'))) throw new Error(`copy of ${up.name}'s data directory for ${n.name} failed`);
    for (const f of EXCLUDED_FILES) rmSync(join(n.dir, f), { force: true });
    for (const d of EXCLUDED_DIR_CONTENTS) emptyDir(join(n.dir, d));
    const stop = await s.query(c.flavor.backupStop, 120000);
    if (stop.error || !stop.rows[0]) throw new Error(`backup stop on ${up.name} failed: ${stop.error?.message ?? 'no row'}`);
    const [, label, spcmap] = stop.rows[0];
    writeFileSync(join(n.dir, 'backup_label'), label ?? '');
    if (spcmap) writeFileSync(join(n.dir, 'tablespace_map'), spcmap);
    const m = (label ?? '').match(/START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/);
    if (!m) throw new Error(`backup label of ${up.name} has no START WAL LOCATION: ${label}`);
    const first = m[1]!.slice(8);
    const wal = readdirSync(join(up.dir, 'pg_wal')).filter((f) => (/^[0-9A-F]{24}$/.test(f) && f.slice(8) >= first) || /^[0-9A-F]{8}\.history$/.test(f));
    if (wal.length) await run('cp', [...wal.map((f) => join(up.dir, 'pg_wal', f)), join(n.dir, 'pg_wal')], 120000);
    await run('chown', ['-R', `postgres:`, n.dir], 60000, false).catch(() => undefined);
  } finally {
    s.close();
  }
}
