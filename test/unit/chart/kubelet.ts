/**
 * Start the operator's flag parsing the way the kubelet would start the chart's container: env
 * resolved from the downward API and Secrets, Secret volumes written as files, and the args parsed
 * by the operator's own command definition (operator/src/commands/operator.ts). Used by the flag
 * test and by the RBAC integration test, which then runs the operator with that configuration.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerOperator, operatorConfigFromFlags, type OperatorFlags } from '../../../operator/src/commands/operator.js';
import type { OperatorConfig } from '../../../operator/src/controller/run-operator.js';

export const POD_NAME = 'fas-faas-autoscaler-7d9c-xk2lp';

/** What the fake Secrets hold, per key: a `user:password` key, a token, or a single value. */
export function secretValue(secret: string, key: string): string {
  if (key === 'basic-auth') return `${secret}-user:${secret}-pass`;
  return `${secret}/${key}`;
}

export interface Container {
  args: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}

/**
 * Run the operator's flag parser on the container as the kubelet would start it: env resolved,
 * Secret volumes written (under `root`, paths in args rewritten to point there).
 */
export async function parseAsKubelet(container: Container, volumes: Volume[], namespace: string, root: string): Promise<OperatorConfig> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = POD_NAME;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = namespace;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
  }
  let args = container.args;
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (!volume?.secret) continue;
    const dir = join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    for (const item of volume.secret.items ?? []) writeFileSync(join(dir, item.path), secretValue(volume.secret.secretName, item.key));
    args = args.map((a) => a.replace(`=${mount.mountPath}/`, `=${dir}/`));
  }

  let captured: OperatorFlags | undefined;
  const program = new Command('faas-autoscaler').exitOverride();
  registerOperator(program);
  const operator = program.commands.find((c) => c.name() === 'operator')!;
  operator.exitOverride().action((flags: OperatorFlags) => {
    captured = flags;
  });
  // The operator reads env fallbacks for every flag: give it exactly the container's env.
  const saved = process.env;
  process.env = env;
  try {
    await program.parseAsync(['node', 'faas-autoscaler', 'operator', ...args]);
  } finally {
    process.env = saved;
  }
  return operatorConfigFromFlags(captured!);
}
