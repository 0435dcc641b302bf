/**
 * Fault knobs, changeable while the simulator runs. Every random decision (timeouts, errors,
 * malformed bodies, jitter) comes from one seeded PRNG, so a run with the same seed, knobs and
 * request order fails the same requests.
 */
import { mulberry32, type Rng } from './random';
import type { FaultConfig } from './types';

export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  malformedRate: 0,
  down: false,
  rateLimitBurst: 0,
});

function checkRate(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`faults.${name} must be a fraction between 0 and 1`);
}

function checkCount(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`faults.${name} must be a finite number ≥ 0`);
}

export function validateFaults(faults: FaultConfig): void {
  checkCount('latencyMs', faults.latencyMs);
  checkCount('jitterMs', faults.jitterMs);
  checkCount('rateLimitBurst', faults.rateLimitBurst);
  if (!Number.isInteger(faults.rateLimitBurst)) throw new RangeError('faults.rateLimitBurst must be an integer');
  checkRate('errorRate', faults.errorRate);
  checkRate('timeoutRate', faults.timeoutRate);
  checkRate('malformedRate', faults.malformedRate);
}

export type MalformedKind = 'truncated-json' | 'html';

export class FaultState {
  private config: FaultConfig;
  private readonly rng: Rng;

  constructor(seed: number, initial: Partial<FaultConfig> = {}) {
    this.rng = mulberry32(seed);
    this.config = { ...NO_FAULTS };
    this.set(initial);
  }

  set(faults: Partial<FaultConfig>): void {
    const next: FaultConfig = { ...this.config };
    if (faults.latencyMs !== undefined) next.latencyMs = faults.latencyMs;
    if (faults.jitterMs !== undefined) next.jitterMs = faults.jitterMs;
    if (faults.errorRate !== undefined) next.errorRate = faults.errorRate;
    if (faults.timeoutRate !== undefined) next.timeoutRate = faults.timeoutRate;
    if (faults.malformedRate !== undefined) next.malformedRate = faults.malformedRate;
    if (faults.down !== undefined) next.down = faults.down;
    if (faults.rateLimitBurst !== undefined) next.rateLimitBurst = faults.rateLimitBurst;
    validateFaults(next);
    this.config = next;
  }

  current(): FaultConfig {
    return { ...this.config };
  }

  /** Milliseconds to wait before answering (latency plus seeded jitter). */
  delayMs(): number {
    const { latencyMs, jitterMs } = this.config;
    return latencyMs + (jitterMs > 0 ? Math.floor(this.rng() * (jitterMs + 1)) : 0);
  }

  isDown(): boolean {
    return this.config.down;
  }

  /** True for the next `rateLimitBurst` calls. */
  takeBurst(): boolean {
    if (this.config.rateLimitBurst <= 0) return false;
    this.config = { ...this.config, rateLimitBurst: this.config.rateLimitBurst - 1 };
    return true;
  }

  drawTimeout(): boolean {
    return this.draw(this.config.timeoutRate);
  }

  drawError(): boolean {
    return this.draw(this.config.errorRate);
  }

  /** Undefined for a healthy answer; otherwise how to break it. */
  drawMalformed(): MalformedKind | undefined {
    if (!this.draw(this.config.malformedRate)) return undefined;
    return this.rng() < 0.5 ? 'truncated-json' : 'html';
  }

  /** Draws only when the rate is set, so knobs left at 0 do not move the stream. */
  private draw(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    return this.rng() < rate;
  }
}

/** What a proxy in front of a broken vendor answers with status 200. */
export const MALFORMED_HTML =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n' +
  '<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n';

/** A JSON text cut in half: still starts like the real body, never parses. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
