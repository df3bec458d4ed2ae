/**
 * Trace readers: Azure Functions 2019 (per-minute counts + duration and memory percentiles),
 * Azure Functions 2021 (per-invocation records), and the LSTM-PPO+ paper's 30-second JSON counts,
 * all read into one `Trace`. Used by `faas-loadgen`, the simulator commands and the operator.
 *
 *   const trace = await loadTrace({ trace: 'traces/azure2019/invitro_sample250_min480-959', from: '1h', to: '3h' });
 *   const fn = selectFunction(trace, parseFunctionSelector('rank:1'));
 *   describeFunction(fn); // 'rank:1 1fa06535 (queue)'
 */
export type { DurationProfileMs, FunctionProfile, FunctionSelector, MemoryProfileMb, Trace, TraceFormat, TraceFunction } from './types.js';
export { loadTrace, type LoadTraceOptions } from './load.js';
export {
  MIN_PREFIX_LENGTH, describeFunction, parseFunctionSelector, rankFunctions, selectFunction, selectFunctions, totalInvocations,
} from './select.js';
export { parseTimeSeconds } from './window.js';
