/**
 * Which errors mean "Redis cannot take this now" (answered 503 with Retry-After), by the reply
 * Redis gives: the real texts of its refusals, and the client's own timeouts and lost
 * connections. Anything else (a bug, a wrong type) is not a refusal: it stays a 500.
 */
import { ReplyError } from 'ioredis';
import { redisRefusal } from '../../src/redis/connections';
import { TimeoutError } from '../../src/util/timeout';

const reply = (message: string): Error => new ReplyError(message) as Error;

describe('Redis refusals', () => {
  it.each([
    ["OOM command not allowed when used memory > 'maxmemory'.", 'oom'],
    [
      "OOM command not allowed when used memory > 'maxmemory'. script: ae34, on @user_script:1.",
      'oom',
    ],
    ["READONLY You can't write against a read only replica.", 'readonly'],
    ['LOADING Redis is loading the dataset in memory', 'loading'],
    [
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
      'masterdown',
    ],
    ['NOREPLICAS Not enough good replicas to write.', 'masterdown'],
    [
      'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
      'busy',
    ],
    [
      "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
      'misconf',
    ],
  ])('%s: %s', (message, reason) => {
    expect(redisRefusal(reply(message))).toBe(reason);
  });

  it('timeouts and lost connections', () => {
    expect(redisRefusal(new Error('Command timed out'))).toBe('timeout');
    expect(redisRefusal(new TimeoutError('queue add', 1500))).toBe('timeout');
    expect(
      redisRefusal(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe('unreachable');
    expect(redisRefusal(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBe('unreachable');
  });

  it('not refusals: errors of the command itself, and anything else', () => {
    expect(
      redisRefusal(reply('WRONGTYPE Operation against a key holding the wrong kind of value')),
    ).toBeUndefined();
    expect(redisRefusal(reply('ERR unknown command'))).toBeUndefined();
    expect(
      redisRefusal(new TypeError("Cannot read properties of undefined (reading 'x')")),
    ).toBeUndefined();
    expect(redisRefusal('OOM')).toBeUndefined();
  });
});
