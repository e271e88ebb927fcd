/** The names managers give the replication slots they keep for their standbys. */

/**
 * dcs/__init__.py slot_name_from_member_name: lower case, '-' and '.' become '_', any other character outside
 * [a-z0-9_] its code point as u%04d; at most 63 characters.
 */
export function slotName(member: string): string {
  return member
    .toLowerCase()
    .replace(/[^a-z0-9_]/gu, (ch) => (ch === '-' || ch === '.' ? '_' : `u${String(ch.codePointAt(0)).padStart(4, '0')}`))
    .slice(0, 63);
}

/**
 * pg_autoctl's slot for a standby: pgautofailover_standby_<node id>, the id the monitor gives a node as it
 * registers (here: its place in the scenario's list, from 1).
 */
export function pgafSlotName(nodeId: number): string {
  return `pgautofailover_standby_${nodeId}`;
}
