export { buildPackages } from './build-packages.js';
export { type EmbeddedBackend, startEmbeddedBackend } from './embedded.js';
export {
  type CommandFilter,
  type CommandMatcher,
  type CommandPredicate,
  isMonitoringCommand,
  toPredicate,
} from './faults/predicates.js';
export {
  type FaultApplied,
  type FaultHandle,
  type FaultOptions,
  type FaultProxy,
  type FaultProxyOptions,
  type LoggedCommand,
  type PartitionMode,
  type PartitionOptions,
  startFaultProxy,
} from './faults/proxy.js';
export { commandDocuments, decodeRequest, type WireCommand } from './faults/wire.js';
export {
  type Capabilities,
  cleanupTestDb,
  closeMongoDb,
  freshCollectionName,
  getBackendKind,
  getCapabilities,
  getMongoClient,
  getMongoDb,
  getTestDb,
  getTestUri,
  waitUntil,
} from './helpers.js';
export { type SerialRelay, startSerialRelay } from './relay.js';
export { type BackendKind, NoTestBackendError, resolveTestBackend, type TestBackend } from './resolve.js';
