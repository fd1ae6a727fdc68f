/** Stays for the simulator tests. */

let stays = 0;

/** A different window each call: igloohome takes at most 3 codes with the same start and end
 *  (Seam's igloohome guide: "Maximum number of hourly-bound codes per hour | 3"). */
export const nextWindow = () => {
  const start = Date.parse('2030-02-01T15:00:00Z') + stays++ * 3_600_000;
  return {
    starts_at: new Date(start).toISOString(),
    ends_at: new Date(start + 44 * 3_600_000).toISOString(),
  };
};
