import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observability/metrics';

/**
 * Static checks of the container files (Docker itself is not needed): they read the real
 * Dockerfile, docker-compose.yml, .dockerignore and .env.example, so any drift fails here.
 */
const root = path.resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

type Dict = Record<string, unknown>;
const asDict = (v: unknown): Dict => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`expected a mapping, got ${JSON.stringify(v)}`);
  }
  return v as Dict;
};

/** Compose accepts a command as a list or a string; compare them as lists of words. */
const words = (command: unknown): string[] =>
  Array.isArray(command)
    ? command.map(String)
    : String(command ?? '')
        .split(/\s+/)
        .filter(Boolean);

/** Compose durations: "35s", "1m30s", "500ms", "1h". */
function durationMs(value: unknown): number {
  const text = String(value ?? '');
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`not a compose duration: ${JSON.stringify(value)}`);
  }
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}

/** Compose environment as a mapping or as a list of KEY=value. */
function envOf(service: Dict): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const [k, ...v] = String(e).split('=');
        return [k!, v.join('=')];
      }),
    );
  }
  return Object.fromEntries(Object.entries(asDict(env ?? {})).map(([k, v]) => [k, String(v)]));
}

// ---- Dockerfile: line continuations joined, comments and parser directives dropped ----
interface Instruction {
  op: string;
  args: string;
}
function parseDockerfile(text: string): Instruction[][] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      current += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    current += raw;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  if (current.trim()) logical.push(current.trim());
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]! };
    if (ins.op === 'FROM') stages.push([]);
    if (stages.length === 0) throw new Error(`instruction before FROM: ${line}`);
    stages[stages.length - 1]!.push(ins);
  }
  return stages;
}

const compose = asDict(parse(read('docker-compose.yml'), { merge: true }));
const services = asDict(compose.services);
const dockerfileText = read('Dockerfile');
const stages = parseDockerfile(dockerfileText);
const finalStage = stages[stages.length - 1] ?? [];
const packageJson = JSON.parse(read('package.json')) as { scripts?: Record<string, string> };

describe('docker-compose.yml', () => {
  it('runs redis with AOF, everysec fsync and noeviction, on a volume, with a ping healthcheck', () => {
    const redis = asDict(services.redis);
    expect(String(redis.image)).toMatch(/^redis:7(\b|$)/);
    const cmd = words(redis.command);
    const flag = (name: string) => cmd[cmd.indexOf(name) + 1];
    expect(cmd).toContain('--appendonly');
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--appendfsync')).toBe('everysec');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    // A cap, so a full Redis refuses writes (503, Svix retries) rather than the host killing it.
    expect(flag('--maxmemory')).toMatch(/^\d+(mb|gb)$/);
    expect((redis.volumes as unknown[]).map(String).some((v) => /:\/data$/.test(v))).toBe(true);
    expect(words(asDict(redis.healthcheck).test).join(' ')).toMatch(/redis-cli ping/);
  });

  describe.each([
    ['ingress', 'ingress'],
    ['worker', 'worker'],
  ])('%s', (name, role) => {
    const service = () => asDict(services[name]);

    it('builds from the Dockerfile in this repository', () => {
      const build = service().build;
      const context = typeof build === 'string' ? build : String(asDict(build).context);
      const dockerfile =
        typeof build === 'string' ? 'Dockerfile' : String(asDict(build).dockerfile ?? 'Dockerfile');
      expect(path.resolve(root, context)).toBe(root);
      expect(path.resolve(root, context, dockerfile)).toBe(path.join(root, 'Dockerfile'));
    });

    it(`runs node dist/app/main.js ${role}`, () => {
      expect(words(service().command)).toEqual(['node', 'dist/app/main.js', role]);
    });

    it('has a healthcheck on /readyz', () => {
      const hc = asDict(service().healthcheck);
      expect(hc.disable).not.toBe(true);
      const test = words(hc.test);
      expect(['CMD', 'CMD-SHELL']).toContain(test[0]);
      expect(test.join(' ')).toMatch(/\/readyz\b/);
    });

    it('waits for redis to be healthy and talks to it by service name', () => {
      const dependsOn = asDict(service().depends_on);
      expect(asDict(dependsOn.redis).condition).toBe('service_healthy');
      expect(envOf(service()).REDIS_URL).toBe('redis://redis:6379');
      // Sentinel mode (the `sentinel` profile) is switched on from .env; it wins over REDIS_URL.
      expect(envOf(service()).REDIS_SENTINELS).toBe('${REDIS_SENTINELS:-}');
      expect(envOf(service()).REDIS_MIN_REPLICAS_ACK).toBe('${REDIS_MIN_REPLICAS_ACK:-0}');
    });

    it('gets SIGTERM through an init and has a grace period above SHUTDOWN_TIMEOUT_MS', () => {
      expect(service().init).toBe(true);
      const timeout = Number(envOf(service()).SHUTDOWN_TIMEOUT_MS);
      const drain = Number(envOf(service()).SHUTDOWN_DRAIN_MS ?? 0);
      expect(Number.isInteger(timeout)).toBe(true);
      expect(drain).toBeLessThan(timeout);
      // The app's own bound must fire before Docker's SIGKILL, with room for process exit.
      expect(durationMs(service().stop_grace_period)).toBeGreaterThanOrEqual(timeout + 5000);
    });
  });

  it('keeps /metrics off the published port: METRICS_PORT on both roles, never published', () => {
    for (const name of ['ingress', 'worker']) {
      const service = asDict(services[name]);
      const env = envOf(service);
      expect({ name, metricsPort: env.METRICS_PORT }).toEqual({
        name,
        metricsPort: expect.stringMatching(/^\d+$/),
      });
      expect(env.METRICS_PORT).not.toBe(env.PORT);
      const published = ((service.ports as unknown[] | undefined) ?? []).map(String);
      expect(published.filter((p) => p.includes(String(env.METRICS_PORT)))).toEqual([]);
    }
  });

  it('publishes port 3000 for the ingress only', () => {
    const ports = (asDict(services.ingress).ports as unknown[]).map(String);
    expect(ports.some((p) => /(^|:)3000(\/tcp)?$/.test(p))).toBe(true);
    expect(asDict(services.worker).ports).toBeUndefined();
  });

  it('passes the ingress secrets from the environment (the service refuses to start without them)', () => {
    const env = envOf(asDict(services.ingress));
    expect(env.SEAM_WEBHOOK_SECRET).toMatch(/^\$\{SEAM_WEBHOOK_SECRET[:}]/);
    expect(env.API_TOKEN).toMatch(/^\$\{API_TOKEN[:}]/);
  });
});

// ---- the sentinel profile: a replica of `redis` and three sentinels ----

describe('docker-compose.yml sentinel profile', () => {
  const sentinels = ['sentinel-1', 'sentinel-2', 'sentinel-3'];

  it('adds a replica and three sentinels under the sentinel profile only', () => {
    for (const name of ['redis-replica', ...sentinels]) {
      expect({ name, profiles: asDict(services[name]).profiles }).toEqual({
        name,
        profiles: ['sentinel'],
      });
    }
  });

  it('runs the replica as redis itself is run (AOF, noeviction, a cap), replicating redis', () => {
    const replica = asDict(services['redis-replica']);
    const cmd = words(replica.command);
    const flag = (name: string) => cmd[cmd.indexOf(name) + 1];
    expect(cmd.slice(cmd.indexOf('--replicaof'), cmd.indexOf('--replicaof') + 3)).toEqual([
      '--replicaof',
      'redis',
      '6379',
    ]);
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    const primary = words(asDict(services.redis).command);
    expect(flag('--maxmemory')).toBe(primary[primary.indexOf('--maxmemory') + 1]);
    expect((replica.volumes as unknown[]).map(String).some((v) => /:\/data$/.test(v))).toBe(true);
  });

  it('has each sentinel watch redis with quorum 2, on a volume of its own, by hostname', () => {
    const volumes = new Set<string>();
    for (const name of sentinels) {
      const s = asDict(services[name]);
      const script = words(s.command).join(' ');
      expect(script).toContain('sentinel monitor seamcodes redis 6379 2');
      expect(script).toContain('sentinel resolve-hostnames yes');
      expect(script).toContain('--sentinel');
      const [volume] = (s.volumes as unknown[]).map(String);
      volumes.add(volume!.split(':')[0]!);
      expect(words(asDict(s.healthcheck).test).join(' ')).toMatch(/-p 26379 ping/);
    }
    expect(volumes.size).toBe(3);
    // The master group and port the .env lines in docs/deployment.md name.
    const docs = read('docs/deployment.md');
    expect(docs).toContain('REDIS_SENTINELS=sentinel-1:26379,sentinel-2:26379,sentinel-3:26379');
    expect(docs).toContain('REDIS_SENTINEL_NAME=seamcodes');
  });
});

// ---- the observability profile: Prometheus and Grafana on the service's metrics ----

/** `./host:container[:mode]` bind mounts of a service (named volumes are left out). */
function bindMounts(service: Dict): { host: string; target: string }[] {
  return ((service.volumes as unknown[] | undefined) ?? [])
    .map(String)
    .filter((v) => v.startsWith('./') || v.startsWith('../'))
    .map((v) => {
      const [host, target] = v.split(':');
      return { host: host!, target: target! };
    });
}

/** The file a container path comes from, through the service's bind mounts. */
function hostPathOf(service: Dict, containerPath: string): string | undefined {
  for (const m of bindMounts(service)) {
    if (containerPath === m.target) return m.host;
    if (containerPath.startsWith(`${m.target}/`)) {
      return path.posix.join(m.host, containerPath.slice(m.target.length + 1));
    }
  }
  return undefined;
}

/** The metric names a PromQL expression reads (not functions, labels, keywords or ranges). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !keywords.has(m[1]!))
    .map((m) => m[1]!);
}

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}

describe('docker-compose.yml observability profile', () => {
  const prometheus = () => asDict(services.prometheus);
  const grafana = () => asDict(services.grafana);

  it('adds prometheus and grafana under the observability profile only', () => {
    expect(prometheus().profiles).toEqual(['observability']);
    expect(grafana().profiles).toEqual(['observability']);
    // The default `docker compose up` is unchanged.
    for (const name of ['redis', 'ingress', 'worker']) {
      expect(asDict(services[name]).profiles).toBeUndefined();
    }
  });

  it('pins both images to a version', () => {
    expect(String(prometheus().image)).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(String(grafana().image)).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it('mounts files that exist in this repository, read-only', () => {
    for (const service of [prometheus(), grafana()]) {
      const mounts = bindMounts(service);
      expect(mounts.length).toBeGreaterThan(0);
      for (const m of mounts) {
        expect({ host: m.host, exists: existsSync(path.join(root, m.host)) }).toEqual({
          host: m.host,
          exists: true,
        });
      }
      for (const v of (service.volumes as unknown[]).map(String)) {
        if (v.startsWith('./')) expect(v).toMatch(/:ro$/);
      }
    }
    // Not published beyond this machine.
    for (const service of [prometheus(), grafana()]) {
      for (const p of (service.ports as unknown[]).map(String)) expect(p).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('loads alerting rules that watch Redis refusals and undelivered guest codes', () => {
    const rules = asDict(parse(read('deploy/prometheus/prometheus.yml'))).rule_files as string[];
    expect(rules).toEqual(['/etc/prometheus/alerts.yml']);
    expect(hostPathOf(prometheus(), rules[0]!)).toBe('./deploy/prometheus/alerts.yml');
    const groups = (asDict(parse(read('deploy/prometheus/alerts.yml'))).groups as unknown[]).map(
      asDict,
    );
    const exprs = groups.flatMap((g) => (g.rules as unknown[]).map((r) => String(asDict(r).expr)));
    expect(exprs.some((e) => e.includes('seam_redis_refusals_total'))).toBe(true);
    expect(exprs.some((e) => e.includes('status="undelivered"'))).toBe(true);
  });

  describe('prometheus.yml', () => {
    const configFlag = () =>
      words(prometheus().command)
        .find((w) => w.startsWith('--config.file='))
        ?.slice('--config.file='.length);
    const config = () => {
      const host = hostPathOf(prometheus(), configFlag() ?? '');
      expect(host).toBeDefined();
      return asDict(parse(read(host!)));
    };

    it('is the file the command names', () => {
      expect(configFlag()).toBeDefined();
      expect(hostPathOf(prometheus(), configFlag()!)).toBe('./deploy/prometheus/prometheus.yml');
    });

    it('scrapes /metrics of the ingress and the worker, by compose service name and port', () => {
      const jobs = (config().scrape_configs as unknown[]).map(asDict);
      const targets = jobs.flatMap((job) => {
        expect(job.metrics_path ?? '/metrics').toBe('/metrics');
        const statics = ((job.static_configs as unknown[] | undefined) ?? [])
          .map(asDict)
          .flatMap((c) => (c.targets as unknown[]).map(String));
        const dns = ((job.dns_sd_configs as unknown[] | undefined) ?? [])
          .map(asDict)
          .flatMap((c) => (c.names as unknown[]).map((n) => `${String(n)}:${String(c.port)}`));
        return [...statics, ...dns];
      });
      const scraped = new Set(targets.map((t) => t.split(':')[0]));
      expect(scraped).toEqual(new Set(['ingress', 'worker']));
      for (const target of targets) {
        const [name, port] = target.split(':');
        const env = envOf(asDict(services[name!]));
        // /metrics is on METRICS_PORT when the service sets it, else on PORT.
        expect({ target, port }).toEqual({ target, port: env.METRICS_PORT ?? env.PORT });
      }
    });
  });

  describe('grafana', () => {
    const provisioning = (kind: string): Dict[] => {
      const dir = hostPathOf(grafana(), `/etc/grafana/provisioning/${kind}`);
      expect(dir).toBeDefined();
      const files = readdirSync(path.join(root, dir!)).filter((f) => /\.ya?ml$/.test(f));
      expect(files.length).toBeGreaterThan(0);
      return files.map((f) => asDict(parse(read(path.posix.join(dir!, f)))));
    };
    const datasource = () => {
      const all = provisioning('datasources').flatMap((f) =>
        (f.datasources as unknown[]).map(asDict),
      );
      expect(all).toHaveLength(1);
      return all[0]!;
    };
    const dashboardFile = 'deploy/grafana/dashboards/seam-offline-codes.json';
    const dashboard = () => JSON.parse(read(dashboardFile)) as { uid: string; panels: Panel[] };
    const allPanels = (): Panel[] =>
      dashboard()
        .panels.flatMap((p) => [p, ...(p.panels ?? [])])
        .filter((p) => p.type !== 'row');

    it('provisions the compose Prometheus as its data source', () => {
      const ds = datasource();
      expect(ds.type).toBe('prometheus');
      const url = new URL(String(ds.url));
      expect(url.hostname).toBe('prometheus');
      expect(url.port).toBe('9090');
      expect((prometheus().ports as unknown[]).map(String)).toContain('127.0.0.1:9090:9090');
    });

    it('loads the dashboard from the mounted dashboards folder', () => {
      const providers = provisioning('dashboards').flatMap((f) =>
        (f.providers as unknown[]).map(asDict),
      );
      const folders = providers.map((p) => String(asDict(p.options).path));
      const hostFolders = folders.map((f) => hostPathOf(grafana(), f));
      expect(hostFolders).toContain(`./${path.posix.dirname(dashboardFile)}`);
      expect(dashboard().uid).toBe('seam-offline-codes');
    });

    it('queries only metrics the service registers, through the provisioned data source', async () => {
      const registered = await createMetrics().registry.getMetricsAsJSON();
      const known = new Set(
        registered.flatMap((m) =>
          String(m.type) === 'histogram'
            ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
            : [m.name],
        ),
      );
      const uid = String(datasource().uid);
      const used = new Set<string>();
      for (const panel of allPanels()) {
        expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({
          panel: panel.title,
          uid,
        });
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          const names = metricNames(target.expr ?? '');
          expect({ expr: target.expr, reads: names.length > 0 }).toEqual({
            expr: target.expr,
            reads: true,
          });
          for (const name of names) {
            expect({ panel: panel.title, name, registered: known.has(name) }).toEqual({
              panel: panel.title,
              name,
              registered: true,
            });
            used.add(name.replace(/_(bucket|sum|count)$/, ''));
          }
        }
      }
      // And every figure of the service has a panel.
      const ours = registered
        .map((m) => m.name)
        .filter((n) => /^(seam|guest)_/.test(n) && !used.has(n));
      expect(ours).toEqual([]);
    });
  });
});

describe('node entry points', () => {
  it('every node dist/... path in compose and the Dockerfile has a source file', () => {
    // dist/ mirrors the repository (rootDir "."), so dist/app/main.js comes from app/main.ts.
    const base = JSON.parse(read('tsconfig.json')) as { compilerOptions: Dict };
    const build = JSON.parse(read('tsconfig.build.json')) as {
      compilerOptions?: Dict;
      include: string[];
    };
    const options = { ...base.compilerOptions, ...build.compilerOptions };
    expect(options.outDir).toBe('dist');
    expect(options.rootDir).toBe('.');

    const text = `${read('docker-compose.yml')}\n${dockerfileText}`;
    const paths = new Set([...text.matchAll(/\bdist\/[\w./-]+\.js\b/g)].map((m) => m[0]));
    expect(paths).toContain('dist/app/main.js');
    for (const p of paths) {
      const source = p.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect({ path: p, source, exists: existsSync(path.join(root, source)) }).toEqual({
        path: p,
        source,
        exists: true,
      });
      expect(build.include.some((dir) => source.startsWith(`${dir}/`))).toBe(true);
    }
  });
});

describe('Dockerfile', () => {
  it('is multi-stage on a pinned Node LTS slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const stageNames = new Set<string>();
    for (const stage of stages) {
      const [image, as, name] = stage[0]!.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      expect(image).toMatch(/^node:\d+-[a-z]+-slim$/);
      expect(image).not.toMatch(/:latest$/);
      if (as?.toUpperCase() === 'AS' && name) stageNames.add(name);
    }
    expect(finalStage[0]!.args).toMatch(/^node:24-bookworm-slim\b/);
    // COPY --from must name an earlier stage.
    for (const ins of stages.flat().filter((i) => i.op === 'COPY')) {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (from) expect(stageNames).toContain(from);
    }
  });

  it('installs with npm ci: all deps to build, production deps at runtime', () => {
    const runs = (stage: Instruction[]) => stage.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(stages.flat().some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
    expect(runs(finalStage).some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs(finalStage).some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
    expect(finalStage.some((i) => i.op === 'COPY' && /--from=\S+\s+\S*dist\b/.test(i.args))).toBe(
      true,
    );
  });

  it('runs only npm scripts that exist in package.json', () => {
    const scripts = packageJson.scripts ?? {};
    const used = stages
      .flat()
      .filter((i) => i.op === 'RUN')
      .flatMap((i) => [...i.args.matchAll(/\bnpm\s+(?:run(?:-script)?)\s+([\w:.-]+)/g)])
      .map((m) => m[1]!);
    expect(used).toContain('build');
    for (const name of used) expect(Object.keys(scripts)).toContain(name);
  });

  it('runs as the non-root node user in production mode', () => {
    const users = finalStage.filter((i) => i.op === 'USER').map((i) => i.args.split(':')[0]);
    expect(users[users.length - 1]).toBe('node');
    const env = finalStage.filter((i) => i.op === 'ENV').map((i) => i.args);
    expect(env.some((e) => /\bNODE_ENV[= ]production\b/.test(e))).toBe(true);
  });

  it('exposes 3000, checks /healthz with node, and starts in exec form', () => {
    expect(finalStage.some((i) => i.op === 'EXPOSE' && /\b3000\b/.test(i.args))).toBe(true);
    const hc = finalStage.find((i) => i.op === 'HEALTHCHECK');
    expect(hc?.args).toMatch(/CMD \["node",/);
    expect(hc?.args).toMatch(/\/healthz\b/);
    const cmd = finalStage.filter((i) => i.op === 'CMD').pop();
    expect(JSON.parse(cmd!.args)).toEqual(['node', 'dist/app/main.js', 'all']);
    expect(finalStage.some((i) => i.op === 'ENTRYPOINT')).toBe(false);
  });
});

describe('one runtime, tested and shipped', () => {
  const major = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1]);
  const engines = (packageJson as { engines?: { node?: string } }).engines?.node ?? '';

  it('package.json engines, .nvmrc, the Docker image and the CI provisioning name the same major', () => {
    const expected = major(engines, /^>=(\d+)\./);
    expect(expected).toBeGreaterThanOrEqual(24);
    expect(major(read('.nvmrc'), /^(\d+)/)).toBe(expected);
    for (const stage of stages) expect(major(stage[0]!.args, /^node:(\d+)-/)).toBe(expected);
    expect(major(read('scripts/use-node-24.sh'), /NODE24_VERSION:-(\d+)\./)).toBe(expected);
  });

  it('an older Node is refused at install (engine-strict), and CI provisions Node 24 before npm ci', () => {
    expect(read('.npmrc')).toMatch(/^engine-strict=true$/m);
    const ci = read('.ci/run');
    const provision = ci.indexOf('. scripts/use-node-24.sh');
    expect(provision).toBeGreaterThan(-1);
    expect(provision).toBeLessThan(ci.indexOf('npm ci'));
  });
});

describe('.dockerignore', () => {
  const entries = read('.dockerignore')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/^\/|^\*\*\//, '').replace(/\/$/, ''));

  it('keeps node_modules and .env out of the build context', () => {
    expect(entries).toContain('node_modules');
    expect(entries).toContain('.env');
    expect(entries).toEqual(expect.arrayContaining(['dist', '.git']));
  });

  it('does not exclude what the build needs', () => {
    for (const needed of ['package.json', 'package-lock.json', 'src', 'tsconfig.json']) {
      expect(entries).not.toContain(needed);
    }
  });
});

describe('.env.example', () => {
  const defined = new Set(
    read('.env.example')
      .split(/\r?\n/)
      .map((l) => /^([A-Z][A-Z0-9_]*)=/.exec(l.trim())?.[1])
      .filter((k): k is string => Boolean(k)),
  );

  it('lists every variable of the service', () => {
    for (const name of [
      'PORT',
      'REDIS_URL',
      'QUEUE_PREFIX',
      'LOG_LEVEL',
      'SEAM_WEBHOOK_SECRET',
      'API_TOKEN',
      'SEAM_API_KEY',
      'SEAM_ENDPOINT',
      'SMTP_URL',
      'MAIL_FROM',
      'NOTIFY_WEBHOOK_URL',
      'NOTIFY_WEBHOOK_SECRET',
      'SHUTDOWN_TIMEOUT_MS',
      'SHUTDOWN_DRAIN_MS',
    ]) {
      expect(defined).toContain(name);
    }
  });

  it('covers every ${VAR} that docker-compose.yml substitutes', () => {
    const uncommented = read('docker-compose.yml')
      .split(/\r?\n/)
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    const referenced = [...uncommented.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
    for (const name of referenced) expect(defined).toContain(name);
  });

  it('has a comment line before each variable', () => {
    const lines = read('.env.example').split(/\r?\n/);
    lines.forEach((line, i) => {
      if (/^[A-Z][A-Z0-9_]*=/.test(line)) expect(lines[i - 1]).toMatch(/^#\s*\S/);
    });
  });
});
