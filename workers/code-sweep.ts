import { sweep, type SweepDeps } from '../src/flows/sweep';
import type { Handler } from './handler';

/** `code-sweep`: one tick of the safety net; its summary is the job's return value. */
export const codeSweepHandler =
  (deps: SweepDeps): Handler<'sweep'> =>
  async () =>
    JSON.stringify(await sweep(deps));
