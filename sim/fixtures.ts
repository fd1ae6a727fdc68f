/**
 * Loads the device fixture (sim/fixtures/devices.json) and seeds it into the fake's database:
 * one workspace, one API key, a connected account per manufacturer and the devices.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Database } from '@seamapi/fake-seam-connect';

export const DEVICE_GROUPS = ['igloohome', 'dormakaba', 'unsupported'] as const;
export type DeviceGroup = (typeof DEVICE_GROUPS)[number];
export type DeviceIds = Record<DeviceGroup, string[]>;

const fixtureSchema = z.object({
  workspace_name: z.string(),
  connected_accounts: z.array(
    z.object({ key: z.string(), provider: z.string(), email: z.string() }),
  ),
  devices: z.array(
    z.object({
      group: z.enum(DEVICE_GROUPS),
      connected_account: z.string(),
      device_type: z.string(),
      name: z.string(),
      capabilities_supported: z.array(z.string()),
      // `time_zone` is Seam's current field, `timezone` the deprecated one (@seamapi/types).
      location: z.object({
        location_name: z.string(),
        time_zone: z.string().optional(),
        timezone: z.string().optional(),
      }),
      // Kept loose on purpose: whatever the fixture says is what /devices/get answers.
      properties: z.record(z.string(), z.unknown()),
    }),
  ),
});
export type DeviceFixture = z.infer<typeof fixtureSchema>;

export const DEFAULT_FIXTURE_PATH = path.join(__dirname, 'fixtures', 'devices.json');

export function loadFixture(file: string = DEFAULT_FIXTURE_PATH): DeviceFixture {
  return fixtureSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export interface SeededWorkspace {
  workspaceId: string;
  apiKey: string;
  devices: DeviceIds;
}

/** Seeds `fixture` into `db`. `apiKey` must start with `seam_` (the official client refuses
 *  anything else as an API key). */
export function seedFixture(
  db: Database,
  fixture: DeviceFixture,
  apiKey?: string,
): SeededWorkspace {
  const workspace = db.addWorkspace({ name: fixture.workspace_name, is_sandbox: true });
  const key = db.addApiKey({ workspace_id: workspace.workspace_id, token: apiKey });

  const accounts = new Map<string, string>();
  for (const account of fixture.connected_accounts) {
    const created = db.addConnectedAccount({
      provider: account.provider,
      workspace_id: workspace.workspace_id,
      user_identifier: { email: account.email },
      accepted_capabilities: ['lock', 'access_code'],
    });
    accounts.set(account.key, created.connected_account_id);
  }

  const devices: DeviceIds = { igloohome: [], dormakaba: [], unsupported: [] };
  for (const fixtureDevice of fixture.devices) {
    const connectedAccountId = accounts.get(fixtureDevice.connected_account);
    if (connectedAccountId === undefined) {
      throw new Error(`fixture device "${fixtureDevice.name}": unknown connected_account`);
    }
    const props = fixtureDevice.properties;
    // The fake's own typings are narrower than Seam's device model (no dormakaba metadata,
    // no location): cast at this one boundary rather than everywhere.
    type AddDevice = Parameters<Database['addDevice']>[0];
    const device = db.addDevice({
      device_type: fixtureDevice.device_type as AddDevice['device_type'],
      name: fixtureDevice.name,
      display_name: fixtureDevice.name,
      workspace_id: workspace.workspace_id,
      connected_account_id: connectedAccountId,
      properties: props as AddDevice['properties'],
      can_program_online_access_codes: props.online_access_codes_enabled === true,
    });
    // addDevice hard-codes capabilities_supported and knows no `location`: set them after.
    db.updateDevice({
      device_id: device.device_id,
      capabilities_supported: fixtureDevice.capabilities_supported,
      location: fixtureDevice.location,
      can_program_offline_access_codes: props.offline_access_codes_enabled === true,
    } as unknown as Parameters<Database['updateDevice']>[0]);
    devices[fixtureDevice.group].push(device.device_id);
  }
  if (!key.token) throw new Error('the fake created an API key without a token');
  return { workspaceId: workspace.workspace_id, apiKey: key.token, devices };
}
