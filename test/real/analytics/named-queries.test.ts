import { describeNamedQueries } from '../../support/named-queries-suite';
import { seedRealSnapshot } from '../support/real-data';

describeNamedQueries(
  'named queries on the real totesys data (local Athena over the curated lake)',
  seedRealSnapshot,
);
