import fc from 'fast-check';
import { ResourceStack } from '../../src/process/resource-stack';

describe('ResourceStack', () => {
  it('releases in the reverse order of starting, whatever the count', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 20 }), async (n) => {
        const stack = new ResourceStack();
        const released: number[] = [];
        for (let i = 0; i < n; i++) stack.defer(`r${i}`, () => void released.push(i));
        await stack.close();
        expect(released).toEqual([...Array(n).keys()].reverse());
      }),
    );
  });

  it('runs every release even when one fails, and reports the failure by name', async () => {
    const stack = new ResourceStack();
    const released: string[] = [];
    stack.defer('redis', () => void released.push('redis'));
    stack.defer('queues', async () => {
      throw new Error('boom');
    });
    stack.defer('http', () => void released.push('http'));
    const failures: string[] = [];
    await stack.close((name, err) => failures.push(`${name}: ${(err as Error).message}`));
    expect(released).toEqual(['http', 'redis']);
    expect(failures).toEqual(['queues: boom']);
  });

  it('releases once, however often it is closed', async () => {
    const stack = new ResourceStack();
    let runs = 0;
    stack.defer('x', () => void runs++);
    await Promise.all([stack.close(), stack.close()]);
    await stack.close();
    expect(runs).toBe(1);
  });
});
