/**
 * Credentials read from files (a mounted Secret, never a flag value that `ps` would show), shared by
 * `operator` and `record`. Every error names the flag and the file.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '#kernel/input-error.js';
import type { PrometheusAuth } from '../metrics/prometheus.js';

/** The file's content, trimmed. */
export function readSecret(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new InputError(`${flag}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** `user:password` from a file; a file holding only a password takes `defaultUser` when given. */
export function basicAuthFile(flag: string, file: string, defaultUser?: string): { username: string; password: string } {
  const text = readSecret(flag, file);
  const i = text.indexOf(':');
  if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
  if (defaultUser !== undefined) return { username: defaultUser, password: text };
  throw new InputError(`${flag}: ${file} must hold user:password on one line`);
}

/**
 * Prometheus auth from `${prefix}-bearer-token-file` or `${prefix}-basic-auth-file` (at most one);
 * `prefix` is the flag stem, e.g. `--prometheus-a` or `--prom-a`.
 */
export function prometheusAuthFromFiles(
  prefix: string,
  bearerFile: string | undefined,
  basicFile: string | undefined,
): PrometheusAuth | undefined {
  if (bearerFile && basicFile) throw new InputError(`${prefix}-bearer-token-file and ${prefix}-basic-auth-file: give one, not both`);
  if (bearerFile) return { type: 'bearer', token: readSecret(`${prefix}-bearer-token-file`, bearerFile) };
  if (basicFile) return { type: 'basic', ...basicAuthFile(`${prefix}-basic-auth-file`, basicFile) };
  return undefined;
}

/** `text` with any user:password@ of a URL replaced by `***@`, for messages. */
export function redactUserinfo(text: string): string {
  return text.replace(/(\/\/)[^/@\s]*@/g, '$1***@');
}

/** A Prometheus base URL; user:password@ becomes basic auth and is removed from the URL (and from every message). */
export function parsePrometheusUrl(flag: string, text: string): { url: string; auth?: PrometheusAuth } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InputError(`${flag}: "${redactUserinfo(text)}" is not a URL; e.g. http://prometheus.openfaas:9090`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InputError(`${flag}: "${redactUserinfo(text)}" must be an http:// or https:// URL`);
  }
  const auth: PrometheusAuth | undefined = u.username
    ? { type: 'basic', username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
    : undefined;
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), ...(auth ? { auth } : {}) };
}

/**
 * One Prometheus: its URL and credentials, from the URL's user:password@ or from a file, not both.
 * `flags` names the URL's flag (`--prom-a`, `--prometheus-a-url`) and the credentials files' stem
 * (`--prom-a`, `--prometheus-a`).
 */
export function prometheusEndpoint(
  flags: { url: string; files: string },
  urlText: string,
  files: { bearerFile?: string; basicFile?: string },
): { url: string; auth?: PrometheusAuth } {
  const parsed = parsePrometheusUrl(flags.url, urlText);
  const fromFile = prometheusAuthFromFiles(flags.files, files.bearerFile, files.basicFile);
  if (fromFile && parsed.auth) {
    throw new InputError(`${flags.url}: the URL holds user:password and a credentials file is given too; give one`);
  }
  return fromFile ? { url: parsed.url, auth: fromFile } : parsed;
}
