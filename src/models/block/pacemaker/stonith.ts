/**
 * STONITH: a fence request run by one node's fencer through a device (fence_ipmilan to a BMC, a PDU port).
 * The fencer waits pcmk_delay_base plus a random whole number of seconds up to pcmk_delay_max
 * (fenced_commands.c schedule_stonith_command), then the agent must reach the device over the network: a
 * device it cannot reach does not answer and the action fails after fencing-timeout, to be retried up to
 * fencing-max-attempts times. A request that reached its device is carried out even if the node that sent
 * it is powered off meanwhile: two fencers that send at once both shoot (the fence race, fencing.rst).
 */
import type { FenceReason } from '../../../history/facts/chains.ts';
import type { EventHandle } from '../../../engine/simulation.ts';
import type { Micros } from '../../../engine/time.ts';
import type { PacemakerSpec, StonithDeviceSpec } from '../../../scenario/types-pacemaker.ts';
import type { PacemakerFact } from '../../../history/facts/pacemaker.ts';
import type { WorldContext } from '../../postgres/context.ts';
import { PRIORITY } from '../../postgres/context.ts';

export interface FenceOp {
  readonly target: string;
  readonly by: string;
  readonly device: StonithDeviceSpec;
  readonly reason: FenceReason;
  readonly lostAt: Micros;
  readonly silentSince: Micros | null;
  attempts: number;
  delay: Micros;
  startedAt: Micros;
  /** The request reached the device: it is carried out whatever happens to the sender. */
  sent: boolean;
  timer: EventHandle | null;
}

export interface FencerHost {
  /** Whether the node runs (its fencer can act). */
  running(node: string): boolean;
  /** The node's site (for reaching a device). */
  siteOf(node: string): string;
  /** The device powered the target off (it may be off already). */
  poweredOff(op: FenceOp, at: Micros): void;
  /** The fencer that ran the op heard back: the target is off. */
  confirmed(op: FenceOp): void;
  failed(op: FenceOp, why: Extract<PacemakerFact, { kind: 'fence-failed' }>['why'], final: boolean): void;
  log(node: string | null, fact: PacemakerFact): void;
}

export class Fencer {
  /** Fence operations in progress, by the node that runs them and their target. */
  private readonly ops = new Map<string, FenceOp>();

  constructor(
    private readonly ctx: WorldContext,
    private readonly spec: PacemakerSpec,
    private readonly host: FencerHost,
  ) {}

  pending(by: string, target: string): boolean {
    return this.ops.has(`${by}>${target}`);
  }

  /** Whether any running node is fencing `target`. */
  fencing(target: string): boolean {
    for (const op of this.ops.values()) if (op.target === target) return true;
    return false;
  }

  request(by: string, target: string, reason: FenceReason, lostAt: Micros, silentSince: Micros | null): void {
    if (this.pending(by, target)) return;
    const device = this.spec.devices.find((d) => d.target === target);
    if (!device) {
      this.host.failed({ target, by, device: { name: '(none)', target, site: '', delayBase: 0 as Micros, delayMax: 0 as Micros, actionTime: 0 as Micros }, reason, lostAt, silentSince, attempts: 0, delay: 0 as Micros, startedAt: this.ctx.sim.now, sent: false, timer: null }, { kind: 'no-device' }, true);
      return;
    }
    const op: FenceOp = { target, by, device, reason, lostAt, silentSince, attempts: 0, delay: 0 as Micros, startedAt: this.ctx.sim.now, sent: false, timer: null };
    this.ops.set(`${by}>${target}`, op);
    this.attempt(op);
  }

  /** The node stopped: the operations it was still delaying (or waiting on an unreachable device) die with it. */
  dropBy(node: string): void {
    for (const [k, op] of this.ops) {
      if (op.by !== node || op.sent) continue;
      this.ctx.sim.cancel(op.timer);
      this.ops.delete(k);
    }
  }

  private attempt(op: FenceOp): void {
    const d = op.device;
    op.delay = delayOf(d, this.ctx.random.stream(`stonith ${d.name}`).next());
    op.attempts++;
    const now = this.ctx.sim.now;
    this.host.log(op.by, { kind: 'fence-request', by: op.by, target: op.target, device: d.name, attempt: op.attempts, delay: op.delay, delayBase: d.delayBase, delayMax: d.delayMax, rule: 'pacemaker: fencing.rst pcmk_delay_base, pcmk_delay_max' });
    op.timer = this.ctx.sim.at((now + op.delay) as Micros, `stonith ${d.name}`, () => {
      op.timer = null;
      if (!this.host.running(op.by)) return;
      op.startedAt = this.ctx.sim.now;
      const reach = this.ctx.net.reachable({ name: op.by, site: this.host.siteOf(op.by) }, { name: d.name, site: d.site });
      if (reach) {
        op.sent = true;
        op.timer = this.ctx.sim.after(d.actionTime, `stonith ${d.name} done`, () => {
          op.timer = null;
          this.host.poweredOff(op, this.ctx.sim.now);
          this.ops.delete(`${op.by}>${op.target}`);
          if (this.host.running(op.by)) this.host.confirmed(op);
        }, PRIORITY.manager);
        return;
      }
      op.timer = this.ctx.sim.after(this.spec.fencingTimeout, `stonith ${d.name} timeout`, () => {
        op.timer = null;
        if (!this.host.running(op.by)) return;
        const final = op.attempts >= this.spec.fencingMaxAttempts;
        this.host.failed(op, { kind: 'unreachable', device: d.name, site: d.site, timeout: this.spec.fencingTimeout }, final);
        if (final) this.ops.delete(`${op.by}>${op.target}`);
        else this.attempt(op);
      }, PRIORITY.manager);
    }, PRIORITY.manager);
  }
}

/** pcmk_delay_max 0 means base only; a base above max is limited to max; else base + a whole number of seconds in [0, max − base]. */
export function delayOf(d: Pick<StonithDeviceSpec, 'delayBase' | 'delayMax'>, u: number): Micros {
  const max = d.delayMax === 0 ? d.delayBase : d.delayMax;
  const base = Math.min(d.delayBase, max);
  if (max <= 0) return 0 as Micros;
  const spread = Math.floor((max - base) / 1e6);
  return (base + Math.min(spread, Math.floor(u * (spread + 1))) * 1e6) as Micros;
}

