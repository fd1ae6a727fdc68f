import type { DateTime } from 'luxon';
import type { NormalizedRounding } from './types';

/** A request that passed the generic checks, both instants expressed in the lock's zone. */
export interface CheckedWindow {
  zone: string;
  start: DateTime;
  end: DateTime;
  /** The rounding the booking system allowed (not necessarily what is sent to Seam). */
  rounding: NormalizedRounding;
  /** The request's own strings, sent verbatim when the window needs no rounding. */
  raw: { starts_at: string; ends_at?: string };
}
