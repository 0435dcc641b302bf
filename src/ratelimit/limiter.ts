/**
 * Outbound limits per vendor account (DESIGN.md section 5): at most `concurrency` calls in flight
 * (p-limit) and a token bucket at `requestsPerSecond`; a 429 pauses the whole account. It is the
 * HTTP client's `RequestGate`, so every attempt (retries included) takes a permit. A wait that
 * would end after the caller's deadline fails at once as `rate_limited` instead of sleeping.
 */
import pLimit from 'p-limit';
import { ProviderError } from '../errors';
import type { RequestGate } from '../http/client';
import type { ProviderId } from '../schema/campaign';
import type { SharedBucket } from './shared-bucket';
import { TokenBucket } from './token-bucket';

export interface AccountLimiterOptions {
  provider: ProviderId;
  requestsPerSecond: number;
  burst: number;
  concurrency: number;
  now?: () => number;
  /** Called with the ms each permit waited for a token (for metrics). */
  onWait?: (ms: number) => void;
  /**
   * The account's bucket shared by every instance (Redis). Its answer wins; the local bucket is
   * also charged, so it is up to date when Redis goes away and the limiter falls back to it (then
   * each instance is held to the full rate on its own). Concurrency always stays per instance.
   */
  shared?: SharedBucket | undefined;
}

function abortError(provider: ProviderId): ProviderError {
  return new ProviderError({ provider, code: 'aborted', message: 'the call was cancelled' });
}

function wait(ms: number, signal: AbortSignal | undefined, provider: ProviderId): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(provider));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class AccountLimiter implements RequestGate {
  readonly bucket: TokenBucket;
  private readonly slots: ReturnType<typeof pLimit>;
  private readonly now: () => number;

  constructor(private readonly options: AccountLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.bucket = new TokenBucket({ ratePerSecond: options.requestsPerSecond, burst: options.burst, now: this.now });
    this.slots = pLimit(options.concurrency);
  }

  /** Calls in flight or queued for a slot. */
  get pending(): number {
    return this.slots.activeCount + this.slots.pendingCount;
  }

  private takeSlot(signal: AbortSignal | undefined): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(abortError(this.options.provider));
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.slots(
        () =>
          new Promise<void>((release) => {
            signal?.removeEventListener('abort', onAbort);
            // Aborted while queued: give the slot straight back.
            if (signal?.aborted) release();
            else resolve(() => release());
          }),
      );
    });
  }

  async acquire(signal: AbortSignal | undefined, deadlineMs: number | undefined): Promise<() => void> {
    if (signal?.aborted) throw abortError(this.options.provider);
    const release = await this.takeSlot(signal);
    try {
      const maxWait = deadlineMs === undefined ? Number.POSITIVE_INFINITY : deadlineMs - this.now();
      const waitMs = await this.reserve(maxWait);
      if (waitMs === undefined) {
        throw new ProviderError({
          provider: this.options.provider,
          code: 'rate_limited',
          message: 'the outbound rate limit for this vendor account would delay the call past the deadline',
          retryAfterMs: Math.max(this.bucket.pausedForMs(), 1000),
        });
      }
      this.options.onWait?.(waitMs);
      await wait(waitMs, signal, this.options.provider);
      return release;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** A token from the shared bucket when there is one and Redis answers, else from the local one. */
  private async reserve(maxWaitMs: number): Promise<number | undefined> {
    const shared = this.options.shared ? await this.options.shared.reserve(maxWaitMs) : undefined;
    if (shared === undefined) return this.bucket.reserve(maxWaitMs);
    // A 429 pause from any instance, copied here so this instance's own checks see it too.
    if (shared.pausedForMs > 0) this.bucket.pause(shared.pausedForMs);
    if (shared.waitMs === undefined) return undefined;
    this.bucket.reserve();
    return shared.waitMs;
  }

  pause(ms: number): void {
    this.bucket.pause(ms);
    this.options.shared?.pause(ms);
  }
}
