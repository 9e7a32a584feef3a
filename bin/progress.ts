import type { Stage } from '../app/pipeline/run-pipeline';

/**
 * Stage-by-stage progress on stderr for people watching a terminal (silent when stderr is
 * not a TTY, so scripts and CI logs stay clean).
 */
export function stageProgress(
  stream: NodeJS.WriteStream = process.stderr,
): (stage: Stage, phase: 'start' | 'end') => void {
  const started = new Map<Stage, number>();
  return (stage, phase) => {
    if (!stream.isTTY) return;
    if (phase === 'start') {
      started.set(stage, performance.now());
      stream.write(`  ${stage} …`);
    } else {
      const seconds = (performance.now() - (started.get(stage) ?? performance.now())) / 1000;
      stream.write(`\r  ${stage} done in ${seconds.toFixed(1)} s\n`);
    }
  };
}
