/**
 * The `block.pacemaker:` section: a Pacemaker/Corosync cluster over block hosts, the DRBD resources it
 * manages as promotable clones, and its STONITH devices. Option names as the real configuration spells
 * them: corosync.conf totem/quorum keys with underscores (two_node, wait_for_all), Pacemaker cluster
 * properties with dashes (no-quorum-policy, fencing-timeout), fence device parameters pcmk_delay_base and
 * pcmk_delay_max. Defaults: managers.md §5 and §7 (CORO, PCMK).
 */
import { isScalar } from 'yaml';
import type { Micros } from '../engine/time.ts';
import { COROSYNC_VERSIONS, type CorosyncVersion, type PacemakerSpec, type StonithDeviceSpec } from './types-pacemaker.ts';
import { show } from './errors.ts';
import { boolean, custom, enumOf, integer, list, namedMap, object, opt, req, string, typeError, withDefault, type Ctx, type Decoder } from './decode.ts';
import { duration } from './settings.ts';

interface Refs {
  readonly hostRef: Decoder<string>;
  readonly resourceRef: Decoder<string>;
  readonly siteRef: Decoder<string>;
}

/** A Corosync version: "2", "3.0", "3.1" (YAML numbers are read by their spelling). */
function corosyncVersion(): Decoder<CorosyncVersion> {
  const expected = `a Corosync version: ${COROSYNC_VERSIONS.join(', ')}`;
  return custom<CorosyncVersion>(expected, () => ({ anyOf: [{ type: 'string', enum: [...COROSYNC_VERSIONS] }, { type: 'number', enum: [2, 3.0, 3.1] }] }), (node, ctx) => {
    const n = ctx.resolve(node);
    if (!isScalar(n)) return typeError(n, ctx, expected);
    const text = (typeof n.value === 'number' ? (n.source ?? String(n.value)) : String(n.value)).trim();
    const v = COROSYNC_VERSIONS.find((x) => x === text || (x === '2' && /^2(\.\d+)*$/.test(text)) || (x === '3.1' && /^3\.(1|[2-9])(\.\d+)*$/.test(text)) || (x === '3.0' && /^3\.0(\.\d+)*$/.test(text)));
    if (!v) return ctx.fail(n, `${ctx.subject}: ${show(text)} is not ${expected}`, { expected });
    return v;
  });
}

export function pacemakerGrammar(refs: Refs): Decoder<PacemakerSpec> {
  const { hostRef, resourceRef, siteRef } = refs;
  const corosync = object({
    version: withDefault(corosyncVersion(), 'Corosync version: 2 and 3.0 default token to 1000 ms, 3.1 and later to 3000 ms (corosync commit 8221f780).', '3.1' as CorosyncVersion, '3.1'),
    token: opt(duration(), 'totem.token: time without the token before it is declared lost (default 3000 ms from 3.1, 1000 ms before).'),
    token_coefficient: withDefault(duration(), 'totem.token_coefficient: added to token per node beyond two.', 650_000 as Micros, '650ms'),
    consensus: opt(duration(), 'totem.consensus: time to wait for consensus before a new membership round (default 1.2 × token).'),
    join: withDefault(duration(), 'totem.join: time to wait for join messages.', 50_000 as Micros, '50ms'),
    two_node: withDefault(boolean(), 'quorum.two_node: a two-node cluster stays quorate with one vote (and wait_for_all defaults to on).', false),
    wait_for_all: opt(boolean(), 'quorum.wait_for_all: quorate for the first time only once every node was seen together (default: on with two_node, else off).'),
  });
  const device = (name: string) =>
    object(
      {
        target: req(hostRef, 'The node this device fences (pcmk_host_list).'),
        site: req(siteRef, 'Where the device answers: the target\'s own site for a BMC on its network, or a management network\'s site.'),
        pcmk_delay_base: withDefault(duration(), 'Fixed delay before the fence action (default 0).', 0 as Micros, '0s'),
        pcmk_delay_max: withDefault(duration(), 'Random delay up to this (with pcmk_delay_base as its floor; default 0 = none).', 0 as Micros, '0s'),
        action_time: withDefault(duration(), 'From the agent\'s request to the target confirmed off (power off and status check). ASSUMPTION default.', 5_000_000 as Micros, '5s'),
      },
      { build: (v): StonithDeviceSpec => ({ name, target: v.target, site: v.site, delayBase: v.pcmk_delay_base, delayMax: v.pcmk_delay_max, actionTime: v.action_time }) },
    );
  let current = '';
  const devices = namedMap(
    custom<StonithDeviceSpec>('a fence device {target, site, pcmk_delay_base?, pcmk_delay_max?, action_time?}', (b) => device('').schema(b), (node, ctx) => device(current).decode(node, ctx)),
    {
      label: (n) => `fence device ${show(n)}`,
      names: string({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, patternText: 'a name of letters, digits, "_", "." and "-"', maxLength: 63 }),
      before: (n) => {
        current = n;
      },
    },
  );
  return object(
    {
      nodes: req(list(hostRef, { label: (i) => `pacemaker.nodes.${i}`, minItems: 2 }), 'The cluster\'s nodes (block hosts; a host without a disk is a quorum node).'),
      resources: req(list(resourceRef, { label: (i) => `pacemaker.resources.${i}`, minItems: 1 }), 'DRBD resources managed as promotable clones (ocf:linbit:drbd): Pacemaker promotes them.'),
      corosync: opt(corosync, 'corosync.conf totem and quorum settings (defaults: Corosync 3.1, token 3s, consensus 1.2 × token, no two_node).'),
      'no-quorum-policy': withDefault(enumOf(['stop', 'freeze', 'ignore', 'demote', 'suicide'] as const), 'What a partition without quorum does: stop (default), freeze, ignore, demote, suicide.', 'stop' as const),
      'fencing-enabled': withDefault(boolean(), 'fencing-enabled (stonith-enabled before Pacemaker 3.0.2): lost nodes are fenced before their resources are recovered.', true),
      'fencing-action': withDefault(enumOf(['reboot', 'off'] as const), 'reboot (default): a fenced node boots again after boot_time; off: it stays off.', 'reboot' as const),
      'fencing-timeout': withDefault(duration(), 'A fence action without an answer fails after this.', 60_000_000 as Micros, '60s'),
      'fencing-max-attempts': withDefault(integer({ min: 1, max: 1000 }), 'Failed attempts on one target before the cluster stops retrying.', 10),
      'dc-deadtime': withDefault(duration(), 'How long a starting node waits for a DC before electing itself.', 20_000_000 as Micros, '20s'),
      boot_time: withDefault(duration(), 'From power-on to corosync and pacemaker running (firmware, OS). ASSUMPTION default.', 120_000_000 as Micros, '2min'),
      stonith: withDefault(devices, 'Fence devices by name.', []),
    },
    {
      build: (v, info, ctx: Ctx<object>): PacemakerSpec => {
        const nodes = v.nodes;
        for (const [i, n] of nodes.entries()) if (nodes.indexOf(n) !== i) ctx.fail(info.at('nodes'), `${ctx.subject}: node ${show(n)} is listed twice`);
        const c = v.corosync ?? { version: '3.1' as CorosyncVersion, token: undefined, token_coefficient: 650_000 as Micros, consensus: undefined, join: 50_000 as Micros, two_node: false, wait_for_all: undefined };
        const token = (c.token ?? (c.version === '3.1' ? 3_000_000 : 1_000_000)) as Micros;
        const effective = token + Math.max(0, nodes.length - 2) * c.token_coefficient;
        // totemconfig.c: consensus defaults to 1.2 × token and may not be below join.
        const consensus = (c.consensus ?? Math.round(1.2 * effective)) as Micros;
        const at = (k: string) => (info.at('corosync') as { get?: (k: string, keep: true) => unknown } | undefined)?.get?.(k, true) as Parameters<typeof ctx.fail>[0];
        if (consensus < c.join) ctx.fail(at('consensus') ?? info.at('corosync'), `${ctx.subject}: corosync consensus (${consensus / 1000} ms) may not be less than join (${c.join / 1000} ms) (totemconfig.c)`);
        if (c.two_node && nodes.length !== 2) ctx.fail(at('two_node') ?? info.at('corosync'), `${ctx.subject}: two_node is for clusters of two nodes; this one has ${nodes.length}`, { hint: 'remove two_node, or list two nodes' });
        for (const d of v.stonith) {
          if (!nodes.includes(d.value.target)) ctx.fail(d.keyNode, `${ctx.subject}: fence device ${show(d.name)} targets ${show(d.value.target)}, which is not a node of the cluster`, { expected: `one of ${nodes.join(', ')}` });
        }
        if (v['fencing-enabled'] && v.stonith.length === 0) ctx.fail(info.at('fencing-enabled') ?? info.node, `${ctx.subject}: fencing is enabled but no fence device is configured (Pacemaker starts no resource then)`, { hint: 'add stonith: {name: {target, site}}, or set fencing-enabled: false' });
        return {
          nodes,
          corosync: { version: c.version, token, tokenCoefficient: c.token_coefficient, consensus, join: c.join, twoNode: c.two_node, waitForAll: c.wait_for_all ?? c.two_node },
          noQuorumPolicy: v['no-quorum-policy'],
          fencingEnabled: v['fencing-enabled'],
          fencingAction: v['fencing-action'],
          fencingTimeout: v['fencing-timeout'],
          fencingMaxAttempts: v['fencing-max-attempts'],
          dcDeadtime: v['dc-deadtime'],
          bootTime: v.boot_time,
          resources: v.resources,
          devices: v.stonith.map((d) => d.value),
        };
      },
    },
  );
}
