/** Tests run against real parts: a private redis-server (test/setup/global-setup.ts),
 *  Seam's in-process fake, real HTTP listeners and a real SMTP server. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  // A worker's 'exit' event fires within a millisecond of Jest's end message (no handle left
  // open), but Node then needs 0.3-0.8 s on a busy 2-core machine to tear down a heap that has
  // loaded the simulator and the ESM clients once per test file. Jest's default grace of 500 ms
  // called that a leak. A real leak keeps a worker alive for good and is still reported.
  workerGracefulExitTimeout: 5000,
};
