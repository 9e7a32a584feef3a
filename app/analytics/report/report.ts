import { writeFile } from 'node:fs/promises';
import { renderReport } from './render-html';
import { collectReportData, type ReportData, type ReportDeps } from './report-data';

/** What {@link writeReport} produced. */
export interface ReportResult {
  readonly path: string;
  readonly bytes: number;
  readonly data: ReportData;
}

/**
 * Generates the HTML dashboard from the warehouse and writes it to `path`.
 *
 * @example
 * await writeReport({ warehouse, lake }, 'report.html');
 */
export async function writeReport(deps: ReportDeps, path: string): Promise<ReportResult> {
  const data = await collectReportData(deps);
  const html = renderReport(data);
  await writeFile(path, html, 'utf8');
  return { path, bytes: Buffer.byteLength(html), data };
}
