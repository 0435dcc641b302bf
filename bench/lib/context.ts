/** What every scenario gets from the runner. */
import type { Worker } from './proc';
import type { Row } from './report';

export interface BenchContext {
  /** Seconds-long run with small sizes; rows are reported, targets not asserted. */
  smoke: boolean;
  /** The autocannon process (see workers/load.ts). */
  load: Worker;
  log(line: string): void;
}

export interface ScenarioOutcome {
  rows: Row[];
  /** Extra numbers for results.json. */
  details?: Record<string, unknown>;
}

export type Scenario = (context: BenchContext) => Promise<ScenarioOutcome>;
