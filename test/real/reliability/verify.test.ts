import { seedFromSnapshot } from '../../../app/totesys/seed';
import { describeVerify } from '../../support/verify-suite';
import { NOV_DIR } from '../support/real-data';

describeVerify('verify on the real data', (source) => seedFromSnapshot(source, NOV_DIR), {
  salesOrders: 11187,
  payments: 15836,
  designs: 473,
});
