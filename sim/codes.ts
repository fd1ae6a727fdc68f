/**
 * Access codes as the simulator keeps them, inside the fake's database so that the fake's own
 * routes and `fake.database` see the same data. The fake's typings know no offline fields and
 * insist on `code: string`: this module is the one place that casts.
 */
import type { Database } from '@seamapi/fake-seam-connect';

export type AccessCodeStatus = 'unset' | 'setting' | 'set' | 'removing' | 'unknown';

export interface AccessCodeIssue {
  error_code?: string;
  warning_code?: string;
  message: string;
  created_at: string;
}

export interface SimAccessCode {
  access_code_id: string;
  device_id: string;
  workspace_id: string;
  name: string | null;
  code: string | null;
  type: 'time_bound' | 'ongoing';
  status: AccessCodeStatus;
  starts_at?: string | null;
  ends_at?: string | null;
  created_at: string;
  errors: AccessCodeIssue[];
  warnings: AccessCodeIssue[];
  is_managed: boolean;
  is_offline_access_code: boolean;
  is_one_time_use: boolean;
  max_time_rounding?: string;
  is_waiting_for_code_assignment: boolean;
  is_scheduled_on_device: boolean;
  is_external_modification_allowed: boolean;
  is_backup_access_code_available: boolean;
  pulled_backup_access_code_id: string | null;
  common_code_key: string | null;
  appearance: null;
  dormakaba_oracode_metadata?: { user_level_id?: string; user_level_name?: string | null };
}

export type NewAccessCode = Omit<SimAccessCode, 'access_code_id' | 'created_at'>;

type AddParams = Parameters<Database['addAccessCode']>[0];
type UpdateParams = Parameters<Database['updateAccessCode']>[0];

export class CodeStore {
  constructor(private readonly db: Database) {}

  add(code: NewAccessCode): SimAccessCode {
    return this.db.addAccessCode(code as unknown as AddParams) as unknown as SimAccessCode;
  }

  get(accessCodeId: string): SimAccessCode | undefined {
    return this.all().find((c) => c.access_code_id === accessCodeId);
  }

  update(accessCodeId: string, patch: Partial<SimAccessCode>): SimAccessCode {
    return this.db.updateAccessCode({
      access_code_id: accessCodeId,
      ...patch,
    } as unknown as UpdateParams) as unknown as SimAccessCode;
  }

  all(): SimAccessCode[] {
    return this.db.access_codes as unknown as SimAccessCode[];
  }

  /** Deep copies, so callers can neither see later changes nor mutate the store. */
  snapshot(): SimAccessCode[] {
    return structuredClone(this.all());
  }
}
