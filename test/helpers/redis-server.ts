// The private redis-server lives with the dev scripts, which the demo shares with the tests.
export * from '../../scripts/private-redis';
