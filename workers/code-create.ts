import { DelayedError } from 'bullmq';
import { createSeamCode, type CreateSeamCodeDeps } from '../src/flows/create-seam-code';
import type { Handler } from './handler';
import { waitForReplicas } from './replica-wait';

export interface CodeCreateDeps extends CreateSeamCodeDeps {
  alert(guestCodeId: string, code: string, message: string): Promise<unknown>;
}

/**
 * `code-create`: create one guest's offline code. A device at its rate limit waits for its
 * window without spending an attempt; a creation that failed for good alerts the operator.
 */
export const codeCreateHandler =
  (deps: CodeCreateDeps): Handler<'create'> =>
  async (data, job, token) => {
    const attempts = job.opts.attempts ?? 1;
    const outcome = await createSeamCode(deps, data, job.attemptsMade + 1 >= attempts).catch(
      async (err: unknown) => {
        await waitForReplicas(err, job, token);
        throw err;
      },
    );
    if (outcome.kind === 'rate_limited') {
      await job.moveToDelayed(Date.now() + outcome.waitMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'failed') {
      deps.logger.error(
        { guestCodeId: data.guest_code_id, failureCode: outcome.code },
        'guest code creation failed',
      );
      await deps.alert(data.guest_code_id, outcome.code, `creation failed: ${outcome.code}`);
    }
    return outcome.kind;
  };
