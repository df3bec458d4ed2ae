const r = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0) + '/' + (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
console.log('bare', r());
await import('@kubernetes/client-node'); gc(); console.log('client-node', r());
await import('../dist/operator/src/controller/controller.js'); gc(); console.log('controller', r());
await import('../dist/operator/src/policies/registry.js'); gc(); console.log('registry', r());
await import('pino'); gc(); console.log('pino', r());
