import { syntheticPlan } from '../../../app/totesys/generator';
import { seedSynthetic } from '../../../app/totesys/synthetic';
import { describeVerify } from '../../support/verify-suite';

/** A generated totesys of this many sales orders (app/totesys/generator/plan.ts). */
const SCALE = 2_000;
const plan = syntheticPlan(SCALE, 1);

describeVerify(
  'verify on a generated totesys',
  (source) => seedSynthetic(source, { scale: SCALE, seed: 1 }),
  {
    salesOrders: plan.salesOrders,
    payments: plan.transactions,
    designs: plan.designs,
  },
);
