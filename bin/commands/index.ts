import type { Command } from 'commander';
import * as ingest from './ingest';

/** Every CLI command registers itself on the program; each lives in its own file. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [ingest.register];
