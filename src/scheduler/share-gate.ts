/**
 * The scheduler's gate in front of one vendor account's limiter: each call of a scheduled walk
 * first takes a token from a bucket of its own at `share × requestsPerSecond` (burst `share ×
 * burst`), then a permit from the account's limiter like any call. The scheduler's calls thus never
 * pass that share of the account's rate, and callers (`refresh=true`, misses) keep the rest. With
 * Redis the share's bucket is shared by every instance (`shared`: its answer wins, the local bucket
 * is charged too and takes over while Redis is away, as in the account limiter), so N instances
 * together keep to one share. On an account with a daily call budget (Kakiyo's credits) each call
 * is counted before it goes out, and refused once the day's budget is spent or while the shared
 * count cannot be read. `stop()` ends every wait at once (the service closing).
 */
import { linkedController, sleep } from '../abort-hooks';
import { ProviderError } from '../errors';
import type { Permit, RequestGate } from '../http/client';
import type { AccountLimiter } from '../ratelimit/limiter';
import { TokenBucket } from '../ratelimit/token-bucket';
import type { SharedBucket } from '../ratelimit/shared';
import type { ProviderId } from '../schema/campaign';
import type { DailyCallBudget } from './credit-budget';

export interface ShareGateOptions {
  provider: ProviderId;
  account: AccountLimiter;
  /** The account's `requestsPerSecond` and `burst`. */
  requestsPerSecond: number;
  burst: number;
  /** The scheduler's share of them (0 < share ≤ 1). */
  share: number;
  budget?: DailyCallBudget | undefined;
  /** The share's bucket shared by every instance (Redis), at the same rate and burst as the local one. */
  shared?: SharedBucket | undefined;
  now?: () => number;
}

function aborted(provider: ProviderId, message = 'the call was cancelled'): ProviderError {
  return new ProviderError({ provider, code: 'aborted', message });
}

export class ShareGate implements RequestGate {
  readonly bucket: TokenBucket;
  readonly budget: DailyCallBudget | undefined;
  readonly provider: ProviderId;
  /** The scheduler's calls per second on this account. */
  readonly ratePerSecond: number;
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  /** Settles when the call before has waited for its token, so tokens are reserved one at a time. */
  private turn: Promise<void> = Promise.resolve();

  /** The share's burst: `share × burst`, at least 1. */
  static shareBurst(burst: number, share: number): number {
    return Math.max(1, Math.floor(burst * share));
  }

  constructor(private readonly options: ShareGateOptions) {
    this.now = options.now ?? Date.now;
    this.budget = options.budget;
    this.provider = options.provider;
    this.ratePerSecond = options.requestsPerSecond * options.share;
    this.bucket = new TokenBucket({
      ratePerSecond: this.ratePerSecond,
      burst: ShareGate.shareBurst(options.burst, options.share),
      now: this.now,
    });
  }

  /**
   * A permit for one call of a scheduled walk. Its waits here end when the caller's signal aborts
   * or the gate stops: a signal of the call's own, linked to both while the call waits and unlinked
   * after. (`AbortSignal.any` with the gate's stop signal, which lives as long as the process, kept
   * every call's combined signal and its listeners alive with it: 2.4 KB per scheduled call, for
   * good, measured.)
   */
  async acquire(signal: AbortSignal | undefined, deadlineMs: number | undefined): Promise<Permit> {
    const { provider } = this.options;
    if (signal?.aborted || this.stopping.signal.aborted) throw aborted(provider);
    const counted = this.budget ? await this.budget.take() : 'taken';
    if (counted === 'spent') throw aborted(provider, "the scheduler's daily call budget for this vendor account is spent");
    if (counted === 'unknown') throw aborted(provider, "the scheduler's shared daily call count for this vendor account cannot be read");
    // One that aborted while the budget was counted leaves the call's signal aborted from the start.
    const { controller: cancel, unlink } = linkedController(signal, this.stopping.signal);
    try {
      await this.inTurn(cancel.signal, deadlineMs);
      return await this.options.account.acquire(cancel.signal, deadlineMs);
    } catch (error) {
      await this.budget?.refund();
      throw error;
    } finally {
      unlink();
    }
  }

  /** A token of the share: from the shared bucket when there is one and Redis answers, else the local one. */
  private async reserve(maxWaitMs: number): Promise<number | undefined> {
    const shared = this.options.shared ? await this.options.shared.reserve(maxWaitMs) : undefined;
    if (shared === undefined) return this.bucket.reserve(maxWaitMs);
    if (shared.waitMs === undefined) return undefined;
    this.bucket.reserve();
    return shared.waitMs;
  }

  /**
   * Reserves a token once the call before has waited for its own, then waits for it: as in the
   * account limiter, a stalled process cannot then start several reserved calls together.
   */
  private inTurn(cancel: AbortSignal, deadlineMs: number | undefined): Promise<void> {
    const { provider } = this.options;
    const mine = this.turn.then(async () => {
      if (cancel.aborted) throw aborted(provider);
      const waitMs = await this.reserve(deadlineMs === undefined ? Number.POSITIVE_INFINITY : deadlineMs - this.now());
      if (waitMs === undefined) {
        throw new ProviderError({ provider, code: 'rate_limited', message: "the scheduler's share of this vendor account's rate would delay the call past the walk's bound" });
      }
      if (waitMs <= 0) return;
      try {
        await sleep(waitMs, cancel);
      } catch {
        throw aborted(provider);
      }
    });
    this.turn = mine.then(
      () => undefined,
      () => undefined,
    );
    return mine;
  }

  pause(ms: number): void {
    this.options.account.pause(ms);
  }

  /** Ends every wait now; later calls are refused. */
  stop(): void {
    this.stopping.abort();
  }
}
