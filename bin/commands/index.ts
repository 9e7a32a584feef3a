import type { Command } from 'commander';
import * as compact from './compact';
import * as dbtSources from './dbt-sources';
import * as demo from './demo';
import * as ingest from './ingest';
import * as load from './load';
import * as queries from './queries';
import * as query from './query';
import * as report from './report';
import * as run from './run';
import * as seed from './seed';
import * as simulate from './simulate';
import * as sql from './sql';
import * as status from './status';
import * as transform from './transform';
import * as up from './up';
import * as verify from './verify';
import * as watch from './watch';

/** Every CLI command registers itself on the program; each lives in its own file. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  demo.register,
  seed.register,
  simulate.register,
  ingest.register,
  transform.register,
  load.register,
  compact.register,
  run.register,
  watch.register,
  status.register,
  query.register,
  queries.register,
  report.register,
  up.register,
  sql.register,
  dbtSources.register,
  verify.register,
];
