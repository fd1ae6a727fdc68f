import { AsyncLocalStorage } from 'node:async_hooks';
import { SeamHttp } from '@seamapi/http/connect';
import axios, { isAxiosError, type AxiosAdapter } from 'axios';
import type { DeviceFacts } from '../domain/device-profile';
import {
  classifySeamError,
  parseRetryAfter,
  SeamRateLimitedError,
  type SeamFailure,
} from './errors';

/** An access code as we read it from Seam. `code` is the PIN: never log this object. */
export interface SeamAccessCode {
  access_code_id: string;
  device_id: string;
  name: string | null;
  status: string;
  code: string | null;
  starts_at?: string | null;
  ends_at?: string | null;
  errors: { error_code: string; message: string }[];
  warnings: { warning_code: string; message: string }[];
  is_offline_access_code?: boolean;
  is_one_time_use?: boolean;
}

export interface SeamEventSummary {
  event_id: string;
  event_type: string;
  access_code_id?: string;
  device_id?: string;
  occurred_at?: string;
  created_at?: string;
}

export interface CreateOfflineCodeInput {
  device_id: string;
  name: string;
  starts_at: string;
  ends_at?: string;
  is_one_time_use: boolean;
  max_time_rounding: '1hour' | '1day';
}

/** A failed Seam call, already classified (see errors.ts). */
export class SeamCallError extends Error {
  constructor(
    readonly endpoint: string,
    readonly failure: SeamFailure,
  ) {
    super(`${endpoint}: ${failure.message}`);
    this.name = 'SeamCallError';
  }
}

/** Every Seam endpoint the gateway calls (the metrics' `endpoint` label). */
export const SEAM_ENDPOINTS = [
  '/devices/get',
  '/devices/list',
  '/access_codes/create',
  '/access_codes/get',
  '/access_codes/list',
  '/events/list',
] as const;
type SeamEndpoint = (typeof SEAM_ENDPOINTS)[number];

/** One finished Seam call: `status` is the HTTP status, or the error kind when there was no
 *  answer (e.g. `network_error`). */
export type SeamCallObserver = (endpoint: string, status: string, seconds: number) => void;

/** The one place that talks to Seam. Everything else sees plain objects and SeamCallError. */
export interface SeamGateway {
  getDevice(deviceId: string): Promise<DeviceFacts>;
  /** Every device of these types in the workspace, from all of Seam's pages. */
  listDevices(deviceTypes: readonly string[]): Promise<DeviceFacts[]>;
  createOfflineAccessCode(input: CreateOfflineCodeInput): Promise<SeamAccessCode>;
  getAccessCode(accessCodeId: string): Promise<SeamAccessCode>;
  listAccessCodes(deviceId: string): Promise<SeamAccessCode[]>;
  /** One answer of /events/list: `since` or `between` (Seam needs one), at most `limit`
   *  events (Seam's default is 500; it pages by narrowing the window, see flows/sweep.ts). */
  listEvents(opts: {
    since?: string;
    between?: [string, string];
    eventTypes?: readonly string[];
    limit?: number;
  }): Promise<SeamEventSummary[]>;
}

export function createSeamGateway(opts: {
  apiKey: string;
  endpoint?: string;
  timeoutMs?: number;
  observe?: SeamCallObserver;
}): SeamGateway {
  const fetchAdapter = axios.getAdapter('fetch');
  // The HTTP status of the call in progress: the client hands back only the body.
  const answered = new AsyncLocalStorage<{ status?: number }>();
  // Turns a 429 into an error that keeps Retry-After, which the client's own error drops.
  const adapter: AxiosAdapter = async (config) => {
    try {
      const response = await fetchAdapter(config);
      const call = answered.getStore();
      if (call) call.status = response.status;
      return response;
    } catch (err) {
      if (isAxiosError(err) && err.response?.status === 429) {
        throw new SeamRateLimitedError(
          parseRetryAfter(err.response.headers?.['retry-after']),
          err.response.headers?.['seam-request-id'] as string | undefined,
        );
      }
      throw err;
    }
  };
  const seam = SeamHttp.fromApiKey(opts.apiKey, {
    endpoint: opts.endpoint,
    // Retries are ours (BullMQ, with backoff and the look-before-recreate rule), never hidden.
    axiosRetryOptions: { retries: 0 },
    timeout: opts.timeoutMs ?? 10_000,
    axiosOptions: { adapter },
  });

  const call = async <T>(endpoint: SeamEndpoint, work: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const state: { status?: number } = {};
    try {
      const result = await answered.run(state, work);
      opts.observe?.(endpoint, String(state.status ?? 200), seconds());
      return result;
    } catch (err) {
      const failure = classifySeamError(err);
      opts.observe?.(endpoint, failure.status ? String(failure.status) : failure.code, seconds());
      throw new SeamCallError(endpoint, failure);
    }
  };

  return {
    getDevice: (deviceId) =>
      call(
        '/devices/get',
        async () => (await seam.devices.get({ device_id: deviceId })) as unknown as DeviceFacts,
      ),
    listDevices: (deviceTypes) =>
      call('/devices/list', async () => {
        // Filtered here, not with Seam's `device_types`: Seam's fake (the simulator) knows no
        // igloohome or dormakaba type in that filter and refuses it.
        const pages = seam.createPaginator(seam.devices.list({}));
        const all = (await pages.flattenToArray()) as unknown as DeviceFacts[];
        return all.filter((d) => deviceTypes.includes(d.device_type));
      }),
    createOfflineAccessCode: (input) =>
      call('/access_codes/create', async () => {
        const created = await seam.accessCodes.create({
          device_id: input.device_id,
          name: input.name,
          starts_at: input.starts_at,
          ...(input.ends_at ? { ends_at: input.ends_at } : {}),
          is_offline_access_code: true,
          is_one_time_use: input.is_one_time_use,
          max_time_rounding: input.max_time_rounding,
        } as Parameters<typeof seam.accessCodes.create>[0]);
        return created as unknown as SeamAccessCode;
      }),
    getAccessCode: (accessCodeId) =>
      call(
        '/access_codes/get',
        async () =>
          (await seam.accessCodes.get({
            access_code_id: accessCodeId,
          })) as unknown as SeamAccessCode,
      ),
    listAccessCodes: (deviceId) =>
      call(
        '/access_codes/list',
        async () =>
          (await seam.accessCodes.list({ device_id: deviceId })) as unknown as SeamAccessCode[],
      ),
    listEvents: ({ since, between, eventTypes, limit }) =>
      call(
        '/events/list',
        async () =>
          (await seam.events.list({
            ...(since ? { since } : {}),
            ...(between ? { between: [...between] } : {}),
            ...(eventTypes ? { event_types: [...eventTypes] } : {}),
            ...(limit ? { limit } : {}),
          } as Parameters<typeof seam.events.list>[0])) as unknown as SeamEventSummary[],
      ),
  };
}
