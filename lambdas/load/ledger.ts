import type { Client } from 'pg';
import { committedTransformSeq, readTransformManifest } from '../kernel/lake/documents/manifests';
import type { LakeStore } from '../kernel/lake/lake-store';
import type { Log } from '../kernel/logger';
import { factTables, ident } from '../kernel/schema';
import { LedgerMismatchError } from './errors';

/**
 * How far back the ledger and the lake are compared batch by batch to find the last batch
 * they agree on. A lake whose transform state went back further than this (or a lake of
 * another environment) is refused rather than read manifest by manifest.
 */
export const MAX_DIVERGENCE = 50;

/** What the warehouse can prove about the transform batches it holds, against the lake. */
export interface LedgerProof {
  /** The last batch in `etl.load_log` (0 = none). */
  readonly ledgerSeq: number;
  /** The lake's committed transform batch. */
  readonly committedSeq: number;
  /**
   * The last batch that the ledger and the lake both hold with the same batch id (0 = none):
   * the warehouse holds the lake's batches up to here.
   */
  readonly agreedSeq: number;
  /** The highest `batch_seq` of a fact version beyond the ledger's last batch, if any. */
  readonly factsBeyondLedger?: number;
  /** The ledger's and the lake's batch ids where they first disagree (from the top). */
  readonly disagreement?: { readonly seq: number; readonly ledger?: string; readonly lake?: string };
  /**
   * `consistent`: the ledger is a prefix of the lake's batches; `ledger-lost`: facts of
   * batches the ledger does not record are in the warehouse (loading them again would
   * duplicate them); `diverged`: the lake's batches after `agreedSeq` are not those the
   * warehouse loaded (a transform state restored to an earlier version); `foreign`: no batch
   * in common (another environment's lake, or one rebuilt from scratch).
   */
  readonly verdict: 'consistent' | 'ledger-lost' | 'diverged' | 'foreign';
}

/**
 * Compares the warehouse's ledger and fact lineage (`batch_seq`) with the lake's committed
 * batches. Reads only; run it inside the load transaction, under the load lock, so that no
 * loader changes the ledger meanwhile.
 */
export async function proveLedger(
  warehouse: Client,
  lake: LakeStore,
  committedSeq: number,
): Promise<LedgerProof> {
  const ledgerSeq = await loadedSeq(warehouse);
  const beyond = await factsBeyond(warehouse, ledgerSeq);
  const base = { ledgerSeq, committedSeq };
  if (beyond !== undefined) {
    return { ...base, agreedSeq: 0, factsBeyondLedger: beyond, verdict: 'ledger-lost' };
  }
  let disagreement: LedgerProof['disagreement'];
  const floor = Math.max(0, Math.min(ledgerSeq, committedSeq) - MAX_DIVERGENCE);
  for (let seq = Math.min(ledgerSeq, committedSeq); seq > floor; seq--) {
    const ledger = await ledgerBatchId(warehouse, seq);
    const manifest = await readTransformManifest(lake, seq);
    if (ledger === manifest.batchId) {
      const agreed = { ...base, agreedSeq: seq, ...(disagreement ? { disagreement } : {}) };
      return { ...agreed, verdict: seq === ledgerSeq ? 'consistent' : 'diverged' };
    }
    disagreement ??= { seq, ...(ledger ? { ledger } : {}), lake: manifest.batchId };
  }
  if (ledgerSeq === 0) return { ...base, agreedSeq: 0, verdict: 'consistent' };
  return { ...base, agreedSeq: 0, ...(disagreement ? { disagreement } : {}), verdict: 'foreign' };
}

/** The next step for a warehouse that cannot be loaded as it is. */
const REBUILD = 'rebuild the warehouse from the lake: `totes verify --repair`';

/** Why `proof` forbids loading (for the verdicts that are refused), with the next step. */
export function ledgerRefusal(proof: LedgerProof, lakeUrl: string): LedgerMismatchError {
  const context = { ledgerSeq: proof.ledgerSeq, committedSeq: proof.committedSeq };
  if (proof.verdict === 'ledger-lost') {
    const beyond = proof.factsBeyondLedger ?? 0;
    return new LedgerMismatchError(
      `the warehouse holds fact versions of transform batch ${beyond} but its ledger etl.load_log ends at batch ${proof.ledgerSeq}: the ledger lost rows (truncated or edited), and loading batches ${proof.ledgerSeq + 1}–${beyond} again would duplicate their versions. Nothing was loaded. Restore etl.load_log from a backup of the warehouse, or ${REBUILD}`,
      { context: { ...context, factsBeyondLedger: beyond } },
    );
  }
  if (proof.ledgerSeq > proof.committedSeq && proof.committedSeq === 0) {
    return new LedgerMismatchError(
      `the warehouse has loaded transform batch ${proof.ledgerSeq} but the lake ${lakeUrl} has only committed ${proof.committedSeq}. WAREHOUSE_URL and LAKE_URL probably belong to different environments; if this lake is the right one, ${REBUILD}`,
      { context },
    );
  }
  const at = proof.disagreement;
  const where = at
    ? ` (batch ${at.seq} is ${at.ledger ?? 'missing'} in the ledger, ${at.lake ?? 'missing'} in the lake)`
    : '';
  return new LedgerMismatchError(
    `the warehouse's ledger and the lake ${lakeUrl} share no transform batch within the last ${MAX_DIVERGENCE}${where}: WAREHOUSE_URL and LAKE_URL probably belong to different environments, or the lake's transform state was reset. If this lake is the right one, ${REBUILD}`,
    { context },
  );
}

/**
 * Takes the warehouse back to batch `agreedSeq`: deletes the fact versions and the ledger
 * rows of every later batch (in the caller's transaction, so the batches the lake holds
 * instead are loaded in the same one). Dimension rows stay: they hold the latest values and
 * are upserted again by the batches loaded next. Refuses when a fact version has no
 * `batch_seq` (loaded before batches were recorded): which ones to delete is then unknown.
 */
export async function rewindTo(warehouse: Client, agreedSeq: number): Promise<Record<string, number>> {
  for (const table of factTables) {
    const { rows } = await warehouse.query<{ unknown: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${ident(table.name)} WHERE batch_seq IS NULL) AS unknown`,
    );
    if (rows[0]?.unknown) {
      throw new LedgerMismatchError(
        `the warehouse must go back to transform batch ${agreedSeq}, but ${table.name} holds versions without a batch_seq (loaded before batches were recorded on facts), so the versions of later batches cannot be told apart. Nothing was changed; ${REBUILD}`,
        { context: { table: table.name, agreedSeq } },
      );
    }
  }
  const deleted: Record<string, number> = {};
  for (const table of factTables) {
    const result = await warehouse.query(`DELETE FROM ${ident(table.name)} WHERE batch_seq > $1`, [
      agreedSeq,
    ]);
    deleted[table.name] = result.rowCount ?? 0;
  }
  const ledger = await warehouse.query('DELETE FROM etl.load_log WHERE batch_seq > $1', [agreedSeq]);
  deleted['etl.load_log'] = ledger.rowCount ?? 0;
  return deleted;
}

/** The last transform batch recorded in the warehouse ledger (0 when none). */
export async function loadedSeq(warehouse: Client): Promise<number> {
  const { rows } = await warehouse.query<{ seq: number }>(
    'SELECT coalesce(max(batch_seq), 0)::integer AS seq FROM etl.load_log',
  );
  return rows[0]?.seq ?? 0;
}

/** Records a batch in the ledger, in the batch's own transaction: it is then loaded exactly once. */
export async function recordBatch(
  warehouse: Client,
  batch: { readonly seq: number; readonly batchId: string; readonly rows: Readonly<Record<string, number>> },
): Promise<void> {
  await warehouse.query('INSERT INTO etl.load_log (batch_seq, batch_id, row_counts) VALUES ($1, $2, $3)', [
    batch.seq,
    batch.batchId,
    JSON.stringify(batch.rows),
  ]);
}

/**
 * Proves the ledger against the facts and the lake as it is now (another loader may have
 * applied a batch committed after this call read the lake), then refuses (see
 * {@link ledgerRefusal}) or rewinds (see {@link rewindTo}). Run it in the load transaction,
 * under the load lock.
 */
export async function reconcileLedger(deps: {
  readonly warehouse: Client;
  readonly lake: LakeStore;
  readonly log: Log;
}): Promise<void> {
  const proof = await proveLedger(deps.warehouse, deps.lake, await committedTransformSeq(deps.lake));
  if (proof.verdict === 'consistent') return;
  if (proof.verdict !== 'diverged') throw ledgerRefusal(proof, deps.lake.url);
  const deleted = await rewindTo(deps.warehouse, proof.agreedSeq);
  deps.log.warn(
    "the lake's transform batches after the last one it shares with the warehouse are not the ones loaded (state/transform.json restored to an earlier version?): the warehouse goes back to that batch and loads the lake's batches from there",
    {
      agreedSeq: proof.agreedSeq,
      ledgerSeq: proof.ledgerSeq,
      committedSeq: proof.committedSeq,
      disagreement: proof.disagreement,
      deleted,
    },
  );
}

async function ledgerBatchId(warehouse: Client, seq: number): Promise<string | undefined> {
  const { rows } = await warehouse.query<{ batch_id: string }>(
    'SELECT batch_id FROM etl.load_log WHERE batch_seq = $1',
    [seq],
  );
  return rows[0]?.batch_id;
}

/**
 * The highest batch of a fact version beyond `ledgerSeq`, if any (a BRIN index on
 * `batch_seq` makes this cheap: facts are appended in batch order).
 */
async function factsBeyond(warehouse: Client, ledgerSeq: number): Promise<number | undefined> {
  let highest: number | undefined;
  for (const table of factTables) {
    const { rows } = await warehouse.query<{ seq: number | null }>(
      `SELECT max(batch_seq)::integer AS seq FROM ${ident(table.name)} WHERE batch_seq > $1`,
      [ledgerSeq],
    );
    const seq = rows[0]?.seq;
    if (seq !== null && seq !== undefined && (highest === undefined || seq > highest)) highest = seq;
  }
  return highest;
}
