import { seedFromSnapshot } from '../../../app/totesys/seed';
import { describeSimulatedEffects } from '../../support/simulate-suite';
import { NOV_DIR } from '../support/real-data';

describeSimulatedEffects('simulateChanges on the real Nov 2024 snapshot', (client) =>
  seedFromSnapshot(client, NOV_DIR),
);
