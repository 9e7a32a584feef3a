import type { Command } from 'commander';
import * as ingest from './ingest';
import * as load from './load';
import * as query from './query';
import * as run from './run';
import * as seed from './seed';
import * as status from './status';
import * as transform from './transform';
import * as watch from './watch';

/** Every CLI command registers itself on the program; each lives in its own file. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  seed.register,
  ingest.register,
  transform.register,
  load.register,
  run.register,
  watch.register,
  status.register,
  query.register,
];
