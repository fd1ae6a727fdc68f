/**
 * The request budgets count hits as express-rate-limit's MemoryStore did before it was
 * replaced on the hot path (issue 19): for any sequence of hits on any keys at any times, the
 * same count and the same end of window, so every 429 and Retry-After stays where it was.
 */
import fc from 'fast-check';
import { MemoryStore } from 'express-rate-limit';
import { FixedWindows } from '../../src/http/rate-limit';

describe('FixedWindows counts as express-rate-limit MemoryStore does', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('same hits and same window end for every hit of any sequence', async () => {
    const windowMs = 60_000;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            // Steps within a window, across a window boundary, and past whole windows.
            afterMs: fc.oneof(
              fc.integer({ min: 0, max: 1000 }),
              fc.integer({ min: 0, max: 3 * windowMs }),
            ),
          }),
          { maxLength: 60 },
        ),
        async (hits) => {
          const store = new MemoryStore();
          store.init({ windowMs } as Parameters<MemoryStore['init']>[0]);
          const ours = new FixedWindows(windowMs);
          try {
            for (const { key, afterMs } of hits) {
              jest.advanceTimersByTime(afterMs);
              const theirs = await store.increment(key);
              const mine = ours.hit(key);
              expect(mine.hits).toBe(theirs.totalHits);
              expect(mine.resetAt).toBe(theirs.resetTime?.getTime());
            }
          } finally {
            store.shutdown();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
