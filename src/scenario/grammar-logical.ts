/**
 * The scenario grammar of logical replication between clusters (types-logical.ts): the top-level
 * `subscriptions:` map and the cut-over's plan steps `sync_sequences` and `drop_subscription` (moving the
 * writes is `route_writes` to the subscriber, grammar.ts). grammar.ts builds it with its own helpers.
 */
import type { LogicalActionBody, SubscriptionSpec } from './types-logical.ts';
import { show } from './errors.ts';
import { boolean, integer, map, namedMap, object, opt, req, string, withDefault, type Ctx, type Decoder } from './decode.ts';
import type { Env, bandwidth, rate, ref } from './grammar.ts';

type C = Ctx<Env>;

export interface LogicalGrammarHelpers {
  readonly ref: typeof ref;
  readonly rate: typeof rate;
  readonly bandwidth: typeof bandwidth;
  readonly name: () => Decoder<string>;
}

/** Subscriptions by name, as decoded so far (plan steps and route_writes refer to them). */
export function subscriptionsOf(env: Env): Map<string, SubscriptionSpec> {
  env.subscriptions ??= new Map();
  return env.subscriptions;
}

export function logicalGrammar(h: LogicalGrammarHelpers) {
  const nodeRef = h.ref('node', (env) => [...env.nodes.keys()]);
  const subscriptionRef = h.ref('subscription', (env) => [...(env.subscriptions?.keys() ?? [])]);

  const subscription = object(
    {
      publisher: req(nodeRef, 'The primary whose tables are published (CREATE PUBLICATION ... FOR ALL TABLES); its cluster\'s workloads are what is replicated.'),
      subscriber: req(nodeRef, 'The primary of another cluster (the new major version) where CREATE SUBSCRIPTION runs.'),
      slot: opt(string({ nonEmpty: true }), 'The logical slot CREATE SUBSCRIPTION creates on the publisher; default: the subscription\'s name.'),
      database: opt(string({ nonEmpty: true }), 'The database of the publication and the slot; default: the publisher cluster\'s first.'),
      apply_rate: req(
        h.rate(),
        'Transactions per second the one apply worker applies, one after the other, whatever the publisher commits. Measure it: pgbench TPC-B-like transactions (about 540 bytes of WAL each) applied at about 6,500/s on PostgreSQL 17.10 sharing 2 cores (a backlog of 88,100 drained in 13.5 s).',
      ),
      serial_rows: opt(
        integer({ min: 0 }),
        'The published tables have keys from a sequence (serial, identity): the rows there at the start; each commit of the publisher adds one. Sequences are not replicated: after the cut-over the subscriber\'s inserts fail with duplicate keys until setval (sync_sequences). Default: no sequence-generated keys.',
      ),
      follow_primary: withDefault(
        boolean(),
        'Its connection string names an address that follows the publisher cluster\'s primary (a virtual IP, DNS, target_session_attrs=read-write): after a failover it connects to the new primary, where its slot exists only as a 17+ failover slot. Default: it names the publisher\'s host.',
        false,
      ),
      failover: withDefault(boolean(), 'CREATE SUBSCRIPTION ... WITH (failover = true), 17+ publisher and subscriber: its slot is a failover slot, synchronized by a standby with sync_replication_slots.', false),
      copy_data: withDefault(
        boolean(),
        'CREATE SUBSCRIPTION ... WITH (copy_data): true (the default), tablesync workers first copy every table of the publisher\'s database (its databases: tables), each holding a slot, and so the publisher\'s WAL and xmin horizon, until its copy is done; the apply worker skips a table\'s changes until it is ready, so a cut-over before then loses its rows. false: the subscriber has the rows already.',
        true,
      ),
      copy_rate: opt(h.bandwidth(), 'Bytes of a table one tablesync worker copies per second (COPY from the publisher, inserted with the subscriber\'s indexes). Default 40MiB/s: measured 35-45 MB/s per worker on 15.18 -> 17.10 sharing 2 cores.'),
    },
    {
      build: (v, info, ctx: C): Omit<SubscriptionSpec, 'name'> => {
        const pub = ctx.env.nodes.get(v.publisher)!;
        const sub = ctx.env.nodes.get(v.subscriber)!;
        if (pub.cluster === sub.cluster) ctx.fail(info.at('subscriber')!, `${ctx.subject}: publisher and subscriber are both in cluster ${show(pub.cluster)}`, { hint: 'logical replication here is between two clusters (an upgrade): put the subscriber in its own cluster' });
        if (pub.version < 10) ctx.fail(info.at('publisher')!, `${ctx.subject}: built-in logical replication (publications) came with PostgreSQL 10 (node ${show(v.publisher)} is ${pub.version})`, { hint: 'before 10 an upgrade by logical replication needs pglogical, not modelled' });
        if (sub.version < 10) ctx.fail(info.at('subscriber')!, `${ctx.subject}: subscriptions came with PostgreSQL 10 (node ${show(v.subscriber)} is ${sub.version})`);
        if (v.failover && (pub.version < 17 || sub.version < 17)) {
          ctx.fail(info.keyAt('failover'), `${ctx.subject}: the failover option of a subscription came with PostgreSQL 17 (publisher ${show(v.publisher)} is ${pub.version}, subscriber ${show(v.subscriber)} is ${sub.version})`, { hint: 'before 17 the slot does not survive a failover of the publisher: remove failover' });
        }
        const dbs = ctx.env.clusters.get(pub.cluster)!.databaseNames;
        const database = v.database ?? dbs[0] ?? 'postgres';
        if (v.database !== undefined && dbs.length > 0 && !dbs.includes(v.database)) ctx.fail(info.at('database')!, `${ctx.subject}: cluster ${show(pub.cluster)} has no database ${show(v.database)}`);
        return {
          publisher: v.publisher,
          publisherCluster: pub.cluster,
          subscriber: v.subscriber,
          subscriberCluster: sub.cluster,
          slot: v.slot ?? '',
          database,
          applyRate: v.apply_rate,
          serialRows: v.serial_rows ?? null,
          ...(v.follow_primary ? { followPrimary: true } : {}),
          ...(v.failover ? { failover: true } : {}),
          ...(!v.copy_data ? { copyData: false } : {}),
          ...(v.copy_rate !== undefined ? { copyRate: v.copy_rate } : {}),
        };
      },
    },
  );

  const subscriptions: Decoder<SubscriptionSpec[]> = map(
    namedMap(subscription, { label: (n) => `subscription ${show(n)}`, names: h.name(), expected: 'a mapping of subscription names to {publisher, subscriber, apply_rate, ...}' }),
    (v, _node, ctx: C) => {
      const out = v.map((e) => ({ ...e.value, name: e.name, slot: e.value.slot || e.name }));
      const slots = new Set<string>();
      for (const s of out) {
        if (slots.has(`${s.publisherCluster}/${s.slot}`) || ctx.env.slots.has(s.slot)) ctx.fail(_node, `subscription ${show(s.name)}: slot ${show(s.slot)} is already used`, { hint: 'give the subscription its own slot: slot: NAME' });
        slots.add(`${s.publisherCluster}/${s.slot}`);
        ctx.env.slots.set(s.slot, s.publisherCluster);
        subscriptionsOf(ctx.env).set(s.name, s);
      }
      return out;
    },
  );

  const actions = {
    sync_sequences: map(subscriptionRef, (subscription): LogicalActionBody => ({ kind: 'syncSequences', subscription })),
    drop_subscription: map(subscriptionRef, (subscription): LogicalActionBody => ({ kind: 'dropSubscription', subscription })),
    add_column: object(
      {
        node: req(nodeRef, 'Where it runs: the subscription\'s publisher or its subscriber.'),
        subscription: opt(subscriptionRef, 'The subscription; default: the one the node is the publisher or subscriber of.'),
      },
      {
        build: (v, info, ctx: C): LogicalActionBody => {
          const all = [...(ctx.env.subscriptions?.values() ?? [])].filter((s) => (v.subscription === undefined || s.name === v.subscription) && (s.publisher === v.node || s.subscriber === v.node));
          if (all.length === 0) ctx.fail(info.at('node')!, `${ctx.subject}: node ${show(v.node)} is neither the publisher nor the subscriber of ${v.subscription !== undefined ? `subscription ${show(v.subscription)}` : 'a subscription'}`);
          if (all.length > 1) ctx.fail(info.node, `${ctx.subject}: node ${show(v.node)} is in several subscriptions`, { expected: `subscription: one of ${all.map((s) => s.name).join(', ')}` });
          return { kind: 'addColumn', subscription: all[0]!.name, node: v.node };
        },
      },
    ),
  };

  const actionDescriptions: { readonly [K in keyof typeof actions]: string } = {
    add_column:
      'ALTER TABLE ... ADD COLUMN on a published table the workloads write, on the publisher or the subscriber: {node, subscription?}. DDL is not replicated: on the publisher first, the apply worker stops at the first change after it ("logical replication target relation ... is missing replicated column") and retries every wal_retrieve_retry_interval until the subscriber has the column; meanwhile the slot keeps the publisher\'s WAL.',
    sync_sequences:
      'setval on the subscriber of every published sequence to the publisher\'s value now (a subscription name). Sequences are not replicated; run it after the writes on the publisher stopped, or rows that come later take keys past it.',
    drop_subscription:
      'DROP SUBSCRIPTION (a subscription name): the apply worker stops, so whatever it has not applied never reaches the subscriber; the slot on the publisher is dropped with it when the publisher can be reached, else it stays behind and keeps retaining WAL.',
  };

  return { subscriptions, actions, actionDescriptions };
}
