/**
 * A logical replication subscription between two clusters (a major-version upgrade by logical replication, a
 * blue/green cut-over): the publisher's commits reach the subscriber through one apply worker, and the plan's
 * steps that cut over (models/logical/subscription.ts, grammar-logical.ts).
 */

/** CREATE SUBSCRIPTION ... PUBLICATION ... on `subscriber`, connected to `publisher` (a primary of another cluster). */
export interface SubscriptionSpec {
  readonly name: string;
  readonly publisher: string;
  readonly publisherCluster: string;
  readonly subscriber: string;
  readonly subscriberCluster: string;
  /** The logical slot on the publisher (CREATE SUBSCRIPTION creates it, named as the subscription by default). */
  readonly slot: string;
  /** The database the publication and the slot are in. */
  readonly database: string;
  /** Transactions per second the apply worker applies, one after the other. */
  readonly applyRate: number;
  /**
   * Rows already in the published tables whose keys come from a sequence (serial, identity) at the start; every
   * commit of the publisher's workloads inserts one more. null: the tables have no sequence-generated keys.
   */
  readonly serialRows: number | null;
  /**
   * Its connection string names an address that follows the publisher cluster's primary (a virtual IP, a DNS
   * name, target_session_attrs=read-write): after a failover it connects to the new primary, where its slot must
   * exist. false: it names the publisher's host. Absent: false.
   */
  readonly followPrimary?: boolean;
  /** CREATE SUBSCRIPTION ... WITH (failover = true) (17+): its slot is a failover slot (slots.ts moveFailoverSlots). Absent: false. */
  readonly failover?: boolean;
  /**
   * CREATE SUBSCRIPTION ... WITH (copy_data = false): the tables are not copied (the subscriber has them already).
   * Absent: true, the tables of the publisher's database (databases:) are copied first (models/logical/tablesync.ts).
   */
  readonly copyData?: boolean;
  /** Bytes of a table per second one tablesync worker's COPY moves. Absent: COPY_RATE. */
  readonly copyRate?: number;
}

/** A tablesync worker's COPY rate when none is given: measured on 15.18 -> 17.10 on 2 shared cores (docs/model-postgres.md). */
export const COPY_RATE = 40 * 1024 * 1024;

export type LogicalActionBody =
  /** DROP SUBSCRIPTION: the apply worker stops and the slot on the publisher is dropped (when it can be reached). */
  | { readonly kind: 'dropSubscription'; readonly subscription: string }
  /** setval on the subscriber of every published sequence to the publisher's value now. */
  | { readonly kind: 'syncSequences'; readonly subscription: string }
  /**
   * ALTER TABLE ... ADD COLUMN on one side of the subscription (`node`: its publisher or its subscriber) on a
   * published table the workloads write. DDL is not replicated: run on the publisher first, the apply worker
   * stops at the first change after it until the subscriber has the column too.
   */
  | { readonly kind: 'addColumn'; readonly subscription: string; readonly node: string };
