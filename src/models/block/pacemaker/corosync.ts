/**
 * Corosync's membership as each node sees it, and votequorum's verdict on it. Heartbeats (the totem token)
 * travel over the scenario's network: a node that stops hearing another (a cut link, a frozen switch, a
 * powered-off host) loses the token after `token` (+ token_coefficient per node beyond two), gathers, and
 * forms a membership without the silent node once `consensus` more has passed without its join message
 * (corosync.conf(5) token, consensus; totemsrp.c; managers.md §5.1). A node heard again before then stays a
 * member: no membership change reaches Pacemaker. A node heard again later joins after `join`.
 *
 * Flow-level: the token's rotations are not events; only a change of who can hear whom is.
 */
import type { EventHandle } from '../../../engine/simulation.ts';
import type { Micros } from '../../../engine/time.ts';
import type { CorosyncSpec } from '../../../scenario/types-pacemaker.ts';
import type { WorldContext } from '../../postgres/context.ts';
import { PRIORITY } from '../../postgres/context.ts';

export interface MembershipChange {
  readonly node: string;
  readonly lost: readonly string[];
  readonly joined: readonly string[];
  /** When the first lost node stopped being heard (the token's last arrival). */
  readonly silentSince: Micros | null;
}

export class Corosync {
  /** Each running node's membership (itself included); a node absent here is not running corosync. */
  private readonly views = new Map<string, Set<string>>();
  /** Nodes that have seen every node together since they started (votequorum wait_for_all). */
  private readonly seenAll = new Set<string>();
  private readonly lossTimers = new Map<string, { handle: EventHandle; since: Micros }>();
  private readonly joinTimers = new Map<string, EventHandle>();

  constructor(
    private readonly ctx: WorldContext,
    readonly spec: CorosyncSpec,
    readonly nodes: readonly string[],
    private readonly siteOf: (host: string) => string,
    private readonly onChange: (c: MembershipChange) => void,
  ) {}

  /** totem.token as corosync applies it: + token_coefficient per node beyond two (totemconfig.c). */
  get tokenTimeout(): Micros {
    return (this.spec.token + Math.max(0, this.nodes.length - 2) * this.spec.tokenCoefficient) as Micros;
  }

  /** Token loss and the consensus round: how long a silent node stays a member. */
  get deadTime(): Micros {
    return (this.tokenTimeout + this.spec.consensus) as Micros;
  }

  running(node: string): boolean {
    return this.views.has(node);
  }

  view(node: string): ReadonlySet<string> {
    return this.views.get(node) ?? new Set();
  }

  /** At the start of the run: the running nodes form memberships with those they hear, as a cluster that has been up. */
  formInitial(running: readonly string[]): void {
    for (const n of running) this.views.set(n, new Set([n]));
    for (const n of running) {
      const v = this.views.get(n)!;
      for (const m of running) if (this.hears(n, m)) v.add(m);
      if (v.size === this.nodes.length) this.seenAll.add(n);
    }
    this.check();
  }

  /** The stack starts on a node (boot): alone until it hears the others. */
  start(node: string): void {
    this.views.set(node, new Set([node]));
    this.seenAll.delete(node);
    if (this.nodes.length === 1) this.seenAll.add(node);
    this.check();
  }

  /** The node stops (powered off): it hears nothing and is heard by no one. */
  stop(node: string): void {
    this.views.delete(node);
    this.seenAll.delete(node);
    this.ctx.sim.cancel(this.lossTimers.get(node)?.handle);
    this.lossTimers.delete(node);
    this.ctx.sim.cancel(this.joinTimers.get(node));
    this.joinTimers.delete(node);
    this.check();
  }

  /** Whether two running nodes' totem packets get through both ways (the token must come back). */
  hears(a: string, b: string): boolean {
    if (a === b) return true;
    if (!this.views.has(a) || !this.views.has(b)) return false;
    return this.ctx.net.reachable({ name: a, site: this.siteOf(a) }, { name: b, site: this.siteOf(b) });
  }

  /** votequorum: more than half the expected votes; two_node makes one of two enough; wait_for_all holds it back until all were seen (votequorum(5)). */
  quorate(node: string): boolean {
    const v = this.views.get(node);
    if (!v) return false;
    if (this.spec.waitForAll && !this.seenAll.has(node)) return false;
    if (this.spec.twoNode && this.nodes.length === 2) return v.size >= 1;
    return v.size * 2 > this.nodes.length;
  }

  /** The network, or who runs, changed: start or stop the timers that end in a membership change. */
  check(): void {
    const now = this.ctx.sim.now;
    for (const [n, view] of this.views) {
      const heard = this.nodes.filter((m) => this.hears(n, m));
      const silent = [...view].filter((m) => !heard.includes(m));
      const newcomers = heard.filter((m) => !view.has(m));
      const loss = this.lossTimers.get(n);
      if (silent.length > 0 && !loss) {
        const handle = this.ctx.sim.at((now + this.deadTime) as Micros, `corosync ${n} token lost`, () => this.settleLoss(n, now), PRIORITY.manager);
        this.lossTimers.set(n, { handle, since: now });
      } else if (silent.length === 0 && loss) {
        // The token came round again before the consensus round ended: the membership stands.
        this.ctx.sim.cancel(loss.handle);
        this.lossTimers.delete(n);
      }
      if (newcomers.length > 0 && !this.joinTimers.has(n)) {
        this.joinTimers.set(n, this.ctx.sim.at((now + this.spec.join) as Micros, `corosync ${n} join`, () => this.settleJoin(n), PRIORITY.manager));
      }
    }
  }

  private settleLoss(n: string, since: Micros): void {
    this.lossTimers.delete(n);
    const view = this.views.get(n);
    if (!view) return;
    const lost = [...view].filter((m) => !this.hears(n, m));
    if (lost.length === 0) return;
    for (const m of lost) view.delete(m);
    this.onChange({ node: n, lost, joined: [], silentSince: since });
    this.check();
  }

  private settleJoin(n: string): void {
    this.joinTimers.delete(n);
    const view = this.views.get(n);
    if (!view) return;
    const joined = this.nodes.filter((m) => !view.has(m) && this.hears(n, m));
    if (joined.length === 0) return;
    for (const m of joined) view.add(m);
    if (view.size === this.nodes.length) this.seenAll.add(n);
    this.onChange({ node: n, lost: [], joined, silentSince: null });
    this.check();
  }
}
