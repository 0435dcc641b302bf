import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../src/errors';
import { AccountLimiter, OUTBOUND_PACING_MARGIN } from '../../src/ratelimit/limiter';

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected the acquisition to fail');
}

/** A clock for the token bucket only; waits still use real (short) timers. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Lets queued microtasks and timers run. */
async function settle(): Promise<void> {
  await sleep(5);
}

describe('AccountLimiter', () => {
  it('never has more than `concurrency` calls in flight', async () => {
    const limiter = new AccountLimiter({ provider: 'instantly', requestsPerSecond: 1000, burst: 1000, concurrency: 3 });
    let inFlight = 0;
    let maxInFlight = 0;
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const { release } = await limiter.acquire(undefined, undefined);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(10 + (i % 3) * 5);
        inFlight -= 1;
        finished.push(i);
        release();
      }),
    );
    expect(maxInFlight).toBe(3);
    expect(finished).toHaveLength(12);
    expect(limiter.pending).toBe(0);
  });

  it('counts calls in flight and queued in `pending`, and a second release() frees nothing more', async () => {
    const limiter = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1000, burst: 1000, concurrency: 1 });
    const { release } = await limiter.acquire(undefined, undefined);
    const second = limiter.acquire(undefined, undefined);
    const third = limiter.acquire(undefined, undefined);
    await settle();
    expect(limiter.pending).toBe(3);
    release();
    release();
    const releaseSecond = await second;
    await settle();
    // The double release did not hand the third caller a slot next to the second.
    let thirdDone = false;
    void third.then(() => {
      thirdDone = true;
    });
    await settle();
    expect(thirdDone).toBe(false);
    expect(limiter.pending).toBe(2);
    releaseSecond.release();
    (await third).release();
    await settle();
    expect(limiter.pending).toBe(0);
  });

  it('fails at once with rate_limited when the token wait would pass the deadline, without holding a slot or a token', async () => {
    const clock = manualClock();
    const limiter = new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 1, burst: 1, concurrency: 1, now: clock.now });
    (await limiter.acquire(undefined, clock.now() + 100)).release();

    const started = Date.now();
    const error = await failure(limiter.acquire(undefined, clock.now() + 100));
    expect(Date.now() - started).toBeLessThan(500);
    expect(error.code).toBe('rate_limited');
    expect(error.provider).toBe('kakiyo');
    expect(error.retryAfterMs).toBe(1000);
    expect(error.message).toBe('the outbound rate limit for this vendor account would delay the call past the deadline');
    await settle();
    expect(limiter.pending).toBe(0);
    // The refusal took no token: one interval later (1 s at 1/s, paced OUTBOUND_PACING_MARGIN slower) exactly one token is there again.
    clock.advance(Math.ceil(1000 / (1 - OUTBOUND_PACING_MARGIN)));
    expect(limiter.bucket.available()).toBe(1);
    // And the only slot is free: this acquisition goes through at once.
    const { release } = await limiter.acquire(undefined, clock.now() + 100);
    release();
  });

  it('reports the pause as retryAfterMs when a 429 pause is longer than a second', async () => {
    const clock = manualClock();
    const limiter = new AccountLimiter({ provider: 'seleqt', requestsPerSecond: 10, burst: 10, concurrency: 2, now: clock.now });
    limiter.pause(5000);
    const error = await failure(limiter.acquire(undefined, clock.now() + 4999));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(5000);
    await settle();
    expect(limiter.pending).toBe(0);
  });

  it('waits for a token inside the deadline and reports the wait', async () => {
    const clock = manualClock();
    const waits: number[] = [];
    const limiter = new AccountLimiter({ provider: 'instantly', requestsPerSecond: 20, burst: 1, concurrency: 4, now: clock.now, onWait: (ms) => waits.push(ms) });
    (await limiter.acquire(undefined, clock.now() + 1000)).release();
    const started = Date.now();
    (await limiter.acquire(undefined, clock.now() + 1000)).release();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // 20/s paced OUTBOUND_PACING_MARGIN (5 %) slower: 52.6 ms, rounded up.
    expect(waits).toEqual([0, Math.ceil(1000 / (20 * (1 - OUTBOUND_PACING_MARGIN)))]);
  });

  it('pause() delays later acquisitions', async () => {
    const clock = manualClock();
    const waits: number[] = [];
    const limiter = new AccountLimiter({ provider: 'instantly', requestsPerSecond: 100, burst: 100, concurrency: 4, now: clock.now, onWait: (ms) => waits.push(ms) });
    limiter.pause(120);
    const started = Date.now();
    const { release } = await limiter.acquire(undefined, undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(waits).toEqual([120]);
    release();
  });

  it('rejects an already-aborted signal as aborted without queueing', async () => {
    const limiter = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 10, burst: 10, concurrency: 1 });
    const controller = new AbortController();
    controller.abort();
    const error = await failure(limiter.acquire(controller.signal, undefined));
    expect(error.code).toBe('aborted');
    expect(error.provider).toBe('sendkit');
    await settle();
    expect(limiter.pending).toBe(0);
  });

  it('abort while queued for a slot rejects with aborted and gives the slot back', async () => {
    const limiter = new AccountLimiter({ provider: 'seleqt', requestsPerSecond: 1000, burst: 1000, concurrency: 1 });
    const { release: holder } = await limiter.acquire(undefined, undefined);
    const controller = new AbortController();
    const queued = limiter.acquire(controller.signal, undefined);
    await settle();
    expect(limiter.pending).toBe(2);
    controller.abort();
    const error = await failure(queued);
    expect(error.code).toBe('aborted');
    holder();
    // The aborted caller's turn is handed straight on: a new caller gets the one slot.
    const { release: next } = await limiter.acquire(undefined, undefined);
    await settle();
    expect(limiter.pending).toBe(1);
    next();
    await settle();
    expect(limiter.pending).toBe(0);
  });

  it('abort while waiting for a token rejects with aborted and frees the slot', async () => {
    const clock = manualClock();
    const limiter = new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 1, burst: 1, concurrency: 1, now: clock.now });
    (await limiter.acquire(undefined, undefined)).release();
    const controller = new AbortController();
    const started = Date.now();
    const waiting = limiter.acquire(controller.signal, undefined);
    await settle();
    controller.abort();
    const error = await failure(waiting);
    expect(error.code).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(900);
    await settle();
    expect(limiter.pending).toBe(0);
  });

  it('hands out permits in the order they were asked for, skipping callers that left, however long the queue', async () => {
    const limiter = new AccountLimiter({ provider: 'instantly', requestsPerSecond: 1e6, burst: 1e6, concurrency: 1 });
    const controllers = Array.from({ length: 3000 }, () => new AbortController());
    const order: number[] = [];
    const calls = controllers.map((controller, i) =>
      limiter.acquire(controller.signal, undefined).then(
        (permit) => {
          order.push(i);
          // Each holder releases on a later tick, so the rest really queue behind it.
          setImmediate(permit.release);
        },
        (error: unknown) => {
          expect((error as ProviderError).code).toBe('aborted');
        },
      ),
    );
    controllers.forEach((controller, i) => {
      if (i % 3 === 1) controller.abort();
    });
    expect(limiter.pending).toBe(2000);
    await Promise.all(calls);
    await settle();
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 1));
    expect(limiter.pending).toBe(0);
  });
});
