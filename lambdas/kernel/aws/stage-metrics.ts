import type { MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of the stage functions' metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'TotesysLake';

/**
 * The metrics the stage functions publish (dimension `service` = `totesys-<stage>`), named once
 * for the handlers and for the alarms in `infra/constructs/monitoring/pipeline-monitoring.ts`.
 */
export const STAGE_METRICS = {
  /** ingest: rows captured this call. */
  rowsIngested: 'RowsIngested',
  /** ingest: tables skipped this call (unreadable or drifted); alarmed on. */
  tablesFailed: 'TablesFailed',
  /** transform: fact versions written. */
  factVersions: 'FactVersions',
  /** transform: source rows quarantined with a reason; alarmed on. */
  rowsQuarantined: 'RowsQuarantined',
  /** load: 1 per successful call — the freshness alarm fires when it goes missing. */
  loadSucceeded: 'LoadSucceeded',
  /** load: batches applied. */
  batchesLoaded: 'BatchesLoaded',
  /** compact: partitions compacted. */
  partitionsCompacted: 'PartitionsCompacted',
  /** compact: 1 per failed compaction; alarmed on. */
  compactionFailed: 'CompactionFailed',
} as const;

/** The part of Powertools' `Metrics` a handler uses, so tests can pass a recorder. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void;
  publishStoredMetrics(): void;
}
