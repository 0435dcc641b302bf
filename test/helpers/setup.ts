/**
 * Runs before every test file: the network is locked down (loopback only, for the simulators and
 * test servers), and every nock scope a test set up must have been consumed by its end.
 *
 * Jest runs many files in one worker process, and nock patches Node's `http` module, which that
 * process shares: each file activates nock and restores it when done, so the next file's nock
 * instance is the one intercepting.
 */
import nock from 'nock';

if (!nock.isActive()) nock.activate();
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  if (pending.length > 0) throw new Error(`unconsumed nock scopes: ${pending.join(', ')}`);
});

afterAll(() => {
  nock.restore();
});
