import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import type { Log } from '../../lambdas/kernel/logger';
import { rebuildWarehouse } from '../../lambdas/load/rebuild';
import { RepairError } from './errors';
import { type VerifyDeps, type VerifyReport, verifyPipeline } from './verify';

/** What {@link verifyAndRepair} needs beyond {@link VerifyDeps}. */
export interface RepairDeps extends VerifyDeps {
  readonly log: Log;
}

/**
 * True when what differs is the warehouse's side: a finding between the lake and the
 * warehouse (a row, a fact version, the ledger) or a warehouse that could not be read.
 */
export function warehouseDrifted(report: VerifyReport): boolean {
  return report.findings.some((f) => f.between?.[1] === 'warehouse' || f.zone === 'warehouse');
}

/**
 * `totes verify --repair`: verifies; removes the stray fact files it found (no committed
 * batch wrote them, so no reader should see them) and verifies again; rebuilds the warehouse
 * from the lake when the warehouse still differs from it; then verifies again and returns that report, with what was
 * done in `repairs`. Differences between the source and the lake are not repaired here: the
 * next `totes run` captures them. Run it under the pipeline lease (no transform or load at
 * the same time).
 */
export async function verifyAndRepair(deps: RepairDeps): Promise<VerifyReport> {
  let before = await verifyPipeline(deps);
  if (before.ok) return { ...before, repairs: [] };
  const repairs: string[] = [];
  if (before.strayFiles.length > 0) {
    await removeStray(deps.lake, before.strayFiles);
    repairs.push(`removed ${before.strayFiles.length} stray fact file(s) from ${deps.lake.url}`);
    // Stray files count in the lake's side: what differs without them decides the rebuild.
    before = await verifyPipeline(deps);
    if (before.ok) return { ...before, repairs };
  }
  if (warehouseDrifted(before)) {
    const rebuilt = await rebuildWarehouse({
      warehouse: deps.warehouse,
      lake: deps.lake,
      log: deps.log,
      workDir: deps.workDir,
    });
    repairs.push(
      `rebuilt the warehouse from the lake: emptied it and loaded transform batches 1–${rebuilt.lastLoadedSeq}`,
    );
  }
  if (repairs.length === 0) {
    repairs.push(
      'nothing to repair on the warehouse side: the differences are between the source and the lake',
    );
  }
  return { ...(await verifyPipeline(deps)), repairs };
}

async function removeStray(lake: LakeStore, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    if (!key.startsWith('curated/') || !key.endsWith('.parquet')) {
      throw new RepairError(`refusing to remove ${key}: only curated fact files are ever stray`, {
        context: { key },
      });
    }
    await lake.delete(key);
  }
}
