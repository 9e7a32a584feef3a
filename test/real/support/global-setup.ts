import globalSetup from '../../support/global-setup';
import { requireRealData } from './real-data';

/** Checks that the real exports are there (failing the whole run loudly if not), then starts PostgreSQL. */
export default async function realDataSetup(): Promise<void> {
  requireRealData();
  await globalSetup();
}
