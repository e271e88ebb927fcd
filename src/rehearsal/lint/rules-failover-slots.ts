/**
 * Lint rule on 17's failover slots: a standby that synchronizes a failover slot can be promoted with its
 * consumer already sent changes the standby never received, unless the primary's synchronized_standby_slots
 * names the standby's slot (models/postgres/slots.ts consumerEnd, moveFailoverSlots).
 */
import type { Finding, StepFact } from './types.ts';
import { type Rule, at, finding } from './rules-common.ts';

const SOURCE =
  'PostgreSQL 17 walsender.c NeedToWaitForStandbys and slot.c StandbySlotsHaveCaughtup; the documentation, "Logical Replication Failover" and synchronized_standby_slots ("guarantees that logical replication failover slots do not consume changes until those changes are received and flushed to corresponding physical standbys")';

export const failoverSlotUnguarded: Rule = {
  id: 'failover-slot-unguarded',
  title: 'a 17+ failover slot whose consumer can get ahead of the standby that synchronizes it (synchronized_standby_slots does not name that standby\'s slot)',
  check(f) {
    return f.slots.flatMap((slot): Finding[] =>
      slot.unguarded.map((u) => {
        const promoted = f.steps.find((d): d is Extract<StepFact, { kind: 'promote' }> => d.kind === 'promote' && d.server === u.standby);
        const plan = promoted ? ` The plan promotes ${u.standby} at ${at(f, promoted.at)} (line ${promoted.where.line}).` : '';
        return finding(
          'failover-slot-unguarded',
          'warning',
          slot.where,
          `the consumer of failover slot ${slot.name} can get ahead of ${u.standby}: synchronized_standby_slots on ${slot.server} does not name ${u.slot}`,
          `${u.standby} synchronizes ${slot.name} and takes it over when it is promoted, but ${slot.server} sends the slot's consumer its changes as soon as they are written, whether or not ${u.standby} has received them. Promoted while it lags, ${u.standby} lacks changes the consumer already applied, and the consumer resumes from its own position there, so ${u.standby}'s changes up to that LSN are never sent to it.${plan} Set synchronized_standby_slots = '${u.slot}' on ${slot.server}: the consumer then waits for ${u.standby} (and stops while ${u.standby} does not confirm).`,
          SOURCE,
        );
      }),
    );
  },
};
