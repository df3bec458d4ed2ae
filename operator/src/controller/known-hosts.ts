/**
 * OpenSSH `known_hosts` parsing and host-key checking, for `--kubeconfig-ssh`. We parse it
 * ourselves (no `ssh-keygen -F` subprocess) and refuse every host key that is not listed:
 * ssh2 accepts any key unless `hostVerifier` says otherwise.
 *
 * Supported, as in sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": plain host patterns (comma-separated,
 * `*` and `?` wildcards, `!` negation), `[host]:port` for ports other than 22, hashed entries
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`, `@revoked` (always refused) and
 * `@cert-authority` (skipped: we do not verify host certificates, so such a line never vouches for
 * a plain key).
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    if (fields.length < 3) return; // malformed: ignored, as ssh does
    const [patterns, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    out.push({ line: i + 1, marker, patterns, keyType, key });
  });
  return out;
}

/** The name ssh looks up: `host` for port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return got.length === want.length && got.equals(want);
}

/** Whether a known_hosts host field matches `name` (already in `[host]:port` form when needed). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict = { ok: true; line: number } | { ok: false; reason: 'unknown-host' | 'mismatch' | 'revoked'; message: string };

/** Decides whether `key` (the SSH wire blob the server presented) is trusted for `name`. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer, file: string): HostKeyVerdict {
  const forHost = entries.filter((e) => patternsMatch(e.patterns, name));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) {
    return {
      ok: false,
      reason: 'revoked',
      message: `host key ${fingerprint(key)} of ${name} is marked @revoked in ${file}:${revoked.line}`,
    };
  }
  const plain = forHost.filter((e) => e.marker === '');
  const match = plain.find((e) => e.key.equals(key));
  if (match) return { ok: true, line: match.line };
  if (plain.length === 0) {
    return {
      ok: false,
      reason: 'unknown-host',
      message: `host ${name} is not in ${file}; refusing its key ${fingerprint(key)} (check the fingerprint out of band, then add it with ssh-keyscan)`,
    };
  }
  return {
    ok: false,
    reason: 'mismatch',
    message: `HOST KEY MISMATCH for ${name}: it presented ${fingerprint(key)}, ${file}:${plain.map((e) => e.line).join(',')} expects ${plain.map((e) => fingerprint(e.key)).join(' or ')}; refusing`,
  };
}

/** Key types listed for `name`, as ssh2 algorithm names (so the server offers a key we can check). */
export function hostKeyAlgorithmsFor(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = new Set(entries.filter((e) => e.marker === '' && patternsMatch(e.patterns, name)).map((e) => e.keyType));
  const algos: string[] = [];
  for (const t of types) {
    if (t === 'ssh-rsa') algos.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else algos.push(t);
  }
  return algos;
}
