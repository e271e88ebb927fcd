/** A one-primary scenario with databases, for the vacuum model's tests (YAML, so the grammar is exercised too). */
export interface VacuumDocOptions {
  version?: number;
  settings?: string;
  /** Table lines of database `app` (ignored when `databases` is given). */
  tables?: string;
  databases?: string;
  workload?: string;
  plan?: string;
  duration?: string;
  /** More nodes (indented lines under `nodes:`). */
  nodes?: string;
}

export function vacuumDoc(o: VacuumDocOptions, defaults: { duration: string; workload: string }): string {
  return `
name: vacuum-test
start: 2024-01-01T00:00:00Z
duration: ${o.duration ?? defaults.duration}
sites: {dc: {}}
clusters:
  c:
    nodes:
      p: {site: dc, version: ${o.version ?? 16}, settings: {${o.settings ?? ''}}}
${o.nodes ?? ''}
    databases:
${o.databases ?? `      app:\n        tables:\n${o.tables ?? ''}`}
    workload: ${o.workload ?? defaults.workload}
plan:
${o.plan ?? '  []'}
`;
}
