import { getEventListeners } from 'node:events';
import { abortAfter } from '../src/deadline';

describe('abortAfter', () => {
  test('many countdowns linked to one signal: each aborts with it unless cleared, and the signal has one listener, not one per countdown', () => {
    const scheduler = new AbortController();
    // A scheduler's walks in flight, each walk's countdown linked to the scheduler's signal. Past
    // ten listeners on one signal Node warns of a possible memory leak (on stderr).
    const countdowns = Array.from({ length: 50 }, () => abortAfter(60_000, { linked: scheduler.signal }));
    expect(getEventListeners(scheduler.signal, 'abort')).toHaveLength(1);
    const cleared = countdowns.slice(0, 10);
    for (const countdown of cleared) countdown.clear();
    scheduler.abort();
    expect(countdowns.slice(10).every((countdown) => countdown.signal.aborted && !countdown.timedOut())).toBe(true);
    expect(cleared.some((countdown) => countdown.signal.aborted)).toBe(false);
    for (const countdown of countdowns) countdown.clear();
  });

  test('a countdown linked to a signal that has already aborted is aborted at once', () => {
    const linked = new AbortController();
    linked.abort();
    const countdown = abortAfter(60_000, { linked: linked.signal });
    expect(countdown.signal.aborted).toBe(true);
    countdown.clear();
  });
});
