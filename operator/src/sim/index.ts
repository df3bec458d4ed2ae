/** The simulator (DESIGN.md §5, README.md here): one function's OpenFaaS twin, episodes, the oracle's lookahead. */
export {
  FunctionSimulator,
  nearestRank,
  type DrainResult,
  type FunctionSimulatorOptions,
  type IntervalStats,
  type SimInterval,
} from './simulator.js';
export { DEFAULT_SIM_CONFIG, resolveSimConfig, type SimConfig } from './config.js';
export { DEFAULT_MISSING_PROFILE, fitLognormal, resolveServiceTime, type ServiceTimeModel, type ServiceTimeSpec } from './service-time.js';
export { SimulatorLookahead } from './lookahead.js';
export {
  runEpisode,
  type EpisodeOptions,
  type EpisodeRails,
  type EpisodeResult,
  type IntervalRecord,
  type PolicyResult,
} from './episode.js';
