import { mkdir } from 'node:fs/promises';
import type { CuratedObject, IngestManifest } from '../../kernel/lake/documents/manifests';
import { factTables, sourceTable, sourceTables } from '../../kernel/schema';
import { iso4217TableSql, rebuildDimDate, rebuildDimensions } from './dimensions';
import { factDatesSql, factDatesTableSql, factRowsSql, factSources, loadFactChanges } from './facts';
import { collectRawFiles, loadChanges } from './inputs';
import {
  type DimensionOutputs,
  writeDimensions,
  writeFact,
  writeHeld,
  writeMemory,
  writeQuarantine,
} from './outputs';
import { type QuarantineCount, quarantineTablesSql } from './quarantine';
import type { BatchSession } from './session';
import { applyVersions } from './versions';

/** Everything a batch wrote, before it is committed. */
export interface BatchOutcome extends DimensionOutputs {
  readonly facts: CuratedObject[];
  readonly quarantine: CuratedObject[];
  readonly quarantined: QuarantineCount[];
  /** The memory files per source table after the batch. */
  readonly current: Record<string, readonly string[]>;
  /** The held-rows file per fact source after the batch. */
  readonly held: Record<string, string>;
  /** Versions held for a missing dimension row, per fact source. */
  readonly heldCounts: Record<string, number>;
}

/**
 * One transform batch: the DuckDB steps in order, and the objects they produce. Dimension
 * sources first (their dimensions are rebuilt before any fact reference is checked), then
 * each fact source, then `dim_date`, the dimension snapshots and the quarantine.
 */
export async function runBatch(
  session: BatchSession,
  manifests: readonly IngestManifest[],
): Promise<BatchOutcome> {
  await session.step('batch', [iso4217TableSql(), ...quarantineTablesSql(), factDatesTableSql()]);
  await mkdir(session.out, { recursive: true });
  const rawFiles = await collectRawFiles(session, manifests);
  const withInput = sourceTables.filter(
    (t) => rawFiles.has(t.name) || session.state.held[t.name] !== undefined,
  );
  const changed = new Set<string>();

  const dimensionSources = withInput.filter((t) => !factSources.has(t.name));
  for (const table of dimensionSources) {
    await loadChanges(session, table, rawFiles.get(table.name) ?? []);
    if (await applyVersions(session, table)) changed.add(table.name);
  }
  const changedDims = await rebuildDimensions(session, changed);
  for (const table of dimensionSources) {
    if (changed.has(table.name)) session.current[table.name] = await writeMemory(session, table.name);
    await session.dropSourceRelations(table.name);
  }

  const factsWithInput = factTables.filter((f) => withInput.some((t) => t.name === f.sourceTable));
  const heldCounts: Record<string, number> = {};
  const facts: CuratedObject[] = [];
  for (const fact of factsWithInput) {
    const table = sourceTable(fact.sourceTable ?? '');
    const held = await loadFactChanges(session, fact, table, rawFiles.get(table.name) ?? []);
    heldCounts[table.name] = held;
    const factChanged = await applyVersions(session, table);
    await session.step(fact.name, [factRowsSql(fact), factDatesSql(fact)]);
    facts.push(...(await writeFact(session, fact.name)));
    if (factChanged) session.current[table.name] = await writeMemory(session, table.name);
    await writeHeld(session, table, held);
    await session.dropSourceRelations(table.name);
    await session.drop('out', fact.name);
  }
  if (factsWithInput.length > 0 && (await rebuildDimDate(session))) changedDims.push('dim_date');
  const dims = await writeDimensions(session, changedDims);
  const { objects: quarantine, counts: quarantined } = await writeQuarantine(session);
  for (const q of quarantined) session.deps.log.warn('rows quarantined', { ...q, batchId: session.batchId });
  return {
    facts,
    ...dims,
    quarantine,
    quarantined,
    current: session.current,
    held: session.held,
    heldCounts,
  };
}
