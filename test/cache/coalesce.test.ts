import { Coalescer } from '../../src/cache/coalesce';

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Coalescer', () => {
  it('runs concurrent work for one key once and hands every caller the same promise', async () => {
    const coalescer = new Coalescer<number>();
    const gate = deferred<number>();
    let executions = 0;
    const work = async (): Promise<number> => {
      executions += 1;
      return gate.promise;
    };
    const runs = Array.from({ length: 20 }, () => coalescer.run('acme|tag|*', work));
    expect(runs.map((r) => r.leader)).toEqual([true, ...Array(19).fill(false)]);
    expect(new Set(runs.map((r) => r.promise)).size).toBe(1);
    expect(coalescer.has('acme|tag|*')).toBe(true);
    expect(coalescer.size).toBe(1);
    gate.resolve(42);
    expect(await Promise.all(runs.map((r) => r.promise))).toEqual(Array(20).fill(42));
    expect(executions).toBe(1);
  });

  it('runs different keys separately', async () => {
    const coalescer = new Coalescer<string>();
    const a = coalescer.run('a', async () => 'A');
    const b = coalescer.run('b', async () => 'B');
    expect([a.leader, b.leader]).toEqual([true, true]);
    expect(coalescer.size).toBe(2);
    expect(await Promise.all([a.promise, b.promise])).toEqual(['A', 'B']);
  });

  it('frees the key once the work settles, so the next caller starts fresh work', async () => {
    const coalescer = new Coalescer<number>();
    let executions = 0;
    const work = async (): Promise<number> => {
      executions += 1;
      return executions;
    };
    expect(await coalescer.run('k', work).promise).toBe(1);
    expect(coalescer.has('k')).toBe(false);
    expect(coalescer.size).toBe(0);
    const second = coalescer.run('k', work);
    expect(second.leader).toBe(true);
    expect(await second.promise).toBe(2);
    expect(executions).toBe(2);
  });

  it('delivers a rejection to every joiner and frees the key', async () => {
    const coalescer = new Coalescer<number>();
    const gate = deferred<number>();
    let executions = 0;
    const runs = Array.from({ length: 5 }, () =>
      coalescer.run('k', async () => {
        executions += 1;
        return gate.promise;
      }),
    );
    const failure = new Error('vendor down');
    gate.reject(failure);
    const outcomes = await Promise.allSettled(runs.map((r) => r.promise));
    expect(outcomes).toEqual(Array(5).fill({ status: 'rejected', reason: failure }));
    expect(executions).toBe(1);
    expect(coalescer.has('k')).toBe(false);
    const retry = coalescer.run('k', async () => 7);
    expect(retry.leader).toBe(true);
    expect(await retry.promise).toBe(7);
  });

  it('turns work that throws before returning a promise into a rejection and frees the key', async () => {
    const coalescer = new Coalescer<number>();
    const run = coalescer.run('k', (): Promise<number> => {
      throw new Error('thrown synchronously');
    });
    await expect(run.promise).rejects.toThrow('thrown synchronously');
    expect(coalescer.has('k')).toBe(false);
  });

  it('a joiner arriving after the key was freed does not get the old result', async () => {
    const coalescer = new Coalescer<string>();
    const first = coalescer.run('k', async () => 'old');
    await first.promise;
    const late = coalescer.run('k', async () => 'new');
    expect(late.promise).not.toBe(first.promise);
    expect(await late.promise).toBe('new');
  });
});
