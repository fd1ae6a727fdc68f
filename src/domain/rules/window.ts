import type { DateTime } from 'luxon';
import type { NormalizedRounding } from './types';

/** A request that passed the generic checks, both instants expressed in the lock's zone. */
export interface CheckedWindow {
  zone: string;
  start: DateTime;
  end: DateTime;
  rounding: NormalizedRounding;
}
