import { isIPv4, isIPv6 } from 'node:net';

/**
 * True for a host that can only be this machine: `localhost`, 127.0.0.0/8, `::1` (and the
 * IPv4-mapped form of 127.0.0.0/8). What travels to it never crosses a network, so it may go
 * in cleartext (a sidecar relay, the demo, the tests); anything else must be encrypted.
 * Takes a URL's hostname as is (IPv6 in brackets or not).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) {
    if (host === '::1' || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(host)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
    return mapped !== undefined && mapped.startsWith('127.');
  }
  return false;
}
