import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { describeLakeStoreContract } from '../../support/lake-contract';

describeLakeStoreContract(
  'LocalLakeStore',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'local-lake-'));
    return { store: new LocalLakeStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { conditionalWrites: true },
);
