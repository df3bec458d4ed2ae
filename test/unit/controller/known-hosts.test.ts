/** known_hosts parsing and matching, table-driven: every way a line can vouch for (or against) a key. */
import { createHmac, randomBytes } from 'node:crypto';
import {
  checkHostKey,
  hostKeyAlgorithmsFor,
  hostLookupName,
  parseKnownHosts,
  patternsMatch,
} from '../../../operator/src/controller/known-hosts.js';

const KEY_A = Buffer.from('0000000b7373682d65643235353139000000200101010101010101010101010101010101010101010101010101010101010101', 'hex');
const KEY_B = Buffer.from('0000000b7373682d65643235353139000000200202020202020202020202020202020202020202020202020202020202020202', 'hex');
const b64 = (k: Buffer): string => k.toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('patternsMatch', () => {
  // Each row: known_hosts host field, the name looked up, whether it matches.
  it.each([
    ['master.example', 'master.example', true],
    ['master.example,10.0.0.10', '10.0.0.10', true],
    ['MASTER.example', 'master.example', true], // host names are case-insensitive
    ['*.example', 'master.example', true],
    ['10.0.0.?', '10.0.0.7', true],
    ['*.example,!bad.example', 'bad.example', false], // negation wins
    ['[10.0.0.10]:2222', '[10.0.0.10]:2222', true],
    ['10.0.0.10', '[10.0.0.10]:2222', false], // a port-22 entry does not vouch for another port
    [hashed('[127.0.0.1]:2222'), '[127.0.0.1]:2222', true],
    [hashed('127.0.0.1'), '[127.0.0.1]:2222', false],
  ])('%s vs %s → %s', (patterns, name, want) => {
    expect(patternsMatch(patterns, name)).toBe(want);
  });
});

describe('checkHostKey', () => {
  const file = 'known_hosts';
  const text = [
    '# comment',
    `master.example ssh-ed25519 ${b64(KEY_A)} root@master`,
    `@cert-authority *.example ssh-ed25519 ${b64(KEY_B)}`,
    `@revoked * ssh-ed25519 ${b64(KEY_B)}`,
    'garbage-line',
    `${hashed('[127.0.0.1]:2222')} ssh-ed25519 ${b64(KEY_B)}`,
  ].join('\n');
  const entries = parseKnownHosts(text);

  // Each row: host, presented key → verdict.
  it.each([
    { name: 'master.example', key: KEY_A, want: 'ok' }, // listed key
    { name: 'master.example', key: KEY_B, want: 'revoked' }, // KEY_B is @revoked everywhere
    { name: 'other.example', key: KEY_A, want: 'unknown-host' }, // only a @cert-authority line matches: not a plain key
    { name: hostLookupName('127.0.0.1', 2222), key: KEY_A, want: 'mismatch' }, // hashed entry, different key
  ])('$name → $want', ({ name, key, want }) => {
    const v = checkHostKey(entries, name, key, file);
    expect(v.ok ? 'ok' : v.reason).toBe(want);
  });

  it('says which line expected which fingerprint on a mismatch', () => {
    const v = checkHostKey(parseKnownHosts(`master.example ssh-ed25519 ${b64(KEY_A)}`), 'master.example', KEY_B, '/k');
    expect(v.ok ? '' : v.message).toMatch(
      /^HOST KEY MISMATCH for master\.example: it presented SHA256:\S+, \/k:1 expects SHA256:\S+; refusing$/,
    );
  });

  it('offers only the key types known for the host', () => {
    const e = parseKnownHosts(`h ssh-rsa ${b64(KEY_A)}\nh ssh-ed25519 ${b64(KEY_A)}\nother ecdsa-sha2-nistp256 ${b64(KEY_A)}`);
    expect(hostKeyAlgorithmsFor(e, 'h')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});
