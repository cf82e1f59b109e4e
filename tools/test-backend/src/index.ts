export { type EmbeddedBackend, startEmbeddedBackend } from './embedded.js';
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
