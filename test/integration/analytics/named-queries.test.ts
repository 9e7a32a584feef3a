import { describeNamedQueries } from '../../support/named-queries-suite';
import { seedGenerated } from '../../support/seeded-pipeline';

/** Generated orders run from 3 Nov 2022 to 15 Nov 2024, as the real ones do: ~120 a month at this scale. */
const SCALE = 3_000;

describeNamedQueries(
  'named queries on a generated totesys (local Athena over the curated lake)',
  seedGenerated(SCALE),
);
