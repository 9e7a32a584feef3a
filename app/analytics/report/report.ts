import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderReport } from './render-html';
import { collectReportData, type ReportData, type ReportDeps } from './report-data';

/** What {@link writeReport} produced. */
export interface ReportResult {
  readonly path: string;
  readonly bytes: number;
  readonly data: ReportData;
}

/**
 * Generates the HTML dashboard from the warehouse and writes it to `path` (its folder is
 * created when missing).
 *
 * @example
 * await writeReport({ warehouse, lake }, '/home/me/.totes/report.html');
 */
export async function writeReport(deps: ReportDeps, path: string): Promise<ReportResult> {
  const data = await collectReportData(deps);
  const html = renderReport(data);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html, 'utf8');
  return { path, bytes: Buffer.byteLength(html), data };
}
