/**
 * Runs before every test file: the network is locked down (loopback only, for the simulators and
 * test servers), and every nock scope a test set up must have been consumed by its end.
 */
import nock from 'nock';

nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  if (pending.length > 0) throw new Error(`unconsumed nock scopes: ${pending.join(', ')}`);
});
