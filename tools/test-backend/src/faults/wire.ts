/**
 * Reading MongoDB wire-protocol messages: splitting a byte stream into whole messages, and decoding
 * a request into the command it carries, for fault predicates and the proxy's command log.
 *
 * Layout used here: every message starts with a 16-byte header (int32 LE): total length (0),
 * `requestID` (4), `responseTo` (8), opcode (12).
 * - OP_MSG (2013): `flagBits` uint32 at 16 (bit 0 `checksumPresent`, bit 1 `moreToCome`), then
 *   sections up to the optional 4-byte checksum. Section kind 0 is one BSON document (the command);
 *   kind 1 is a document sequence: int32 size (counting itself), identifier cstring, BSON documents.
 * - OP_QUERY (2004, the driver's first handshake only): flags int32 at 16, `db.$cmd` cstring, skip and
 *   return counts (int32 each), then the command document.
 */
import { BSON, type Document } from 'mongodb';

/** Opcode of OP_MSG. */
export const OP_MSG = 2013;
/** Opcode of the legacy OP_QUERY (used by the driver's first handshake). */
export const OP_QUERY = 2004;
const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;

/** A decoded request: what fault predicates look at and what the command log records. */
export interface WireCommand {
  /** The command name: the first key of the command document (`'insert'`, `'findAndModify'`, `'hello'`…). */
  readonly name: string;
  /** The command's first value when it is a string: the collection for CRUD commands, else `''`. */
  readonly collection: string;
  /** The database (`$db` of OP_MSG, or the namespace of OP_QUERY). */
  readonly db: string;
  /** The whole command document. Empty when the message could not be decoded. */
  readonly body: Document;
  /** Document sequences (OP_MSG kind-1 sections) by identifier, e.g. `documents` or `updates`. */
  readonly sequences: Readonly<Record<string, Document[]>>;
  /** The request's `requestID`. */
  readonly requestId: number;
  /** `true` for an OP_MSG flagged `moreToCome` (fire-and-forget: the client expects no reply). */
  readonly moreToCome: boolean;
}

/** Splits a byte stream into whole wire-protocol messages, whatever the TCP chunking. */
export class MessageReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Adds a chunk; returns every message it completed (possibly none, possibly several). */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32LE(0);
      if (length < 16) throw new Error(`wire: message length ${length} is below the 16-byte header`);
      if (this.buffered.length < length) break;
      messages.push(this.buffered.subarray(0, length));
      this.buffered = this.buffered.subarray(length);
    }
    return messages;
  }
}

/** The `requestID` of a message. */
export function requestIdOf(message: Buffer): number {
  return message.readInt32LE(4);
}

/** The `responseTo` of a message (the `requestID` a reply answers). */
export function responseToOf(message: Buffer): number {
  return message.readInt32LE(8);
}

/** Whether `message` is an OP_MSG flagged `moreToCome` (a request that expects no reply). */
export function isMoreToCome(message: Buffer): boolean {
  return message.length >= 20 && message.readInt32LE(12) === OP_MSG && (message.readUInt32LE(16) & MORE_TO_COME) !== 0;
}

function readCString(message: Buffer, at: number, end: number): { value: string; next: number } {
  const zero = message.indexOf(0, at);
  if (zero < 0 || zero >= end) throw new Error('wire: unterminated cstring');
  return { value: message.toString('utf8', at, zero), next: zero + 1 };
}

function readDocument(message: Buffer, at: number, end: number): { doc: Document; next: number } {
  const size = message.readInt32LE(at);
  if (size < 5 || at + size > end) throw new Error('wire: BSON document overruns its section');
  return { doc: BSON.deserialize(message.subarray(at, at + size)), next: at + size };
}

function decodeOpMsg(message: Buffer): { body: Document; sequences: Record<string, Document[]> } {
  const flags = message.readUInt32LE(16);
  const end = message.length - ((flags & CHECKSUM_PRESENT) !== 0 ? 4 : 0);
  let body: Document = {};
  const sequences: Record<string, Document[]> = {};
  let at = 20;
  while (at < end) {
    const kind = message.readUInt8(at);
    at += 1;
    if (kind === 0) {
      const read = readDocument(message, at, end);
      body = read.doc;
      at = read.next;
    } else if (kind === 1) {
      const sectionEnd = at + message.readInt32LE(at);
      const identifier = readCString(message, at + 4, sectionEnd);
      const docs: Document[] = [];
      let next = identifier.next;
      while (next < sectionEnd) {
        const read = readDocument(message, next, sectionEnd);
        docs.push(read.doc);
        next = read.next;
      }
      sequences[identifier.value] = docs;
      at = sectionEnd;
    } else {
      throw new Error(`wire: unknown OP_MSG section kind ${kind}`);
    }
  }
  return { body, sequences };
}

function decodeOpQuery(message: Buffer): { body: Document; db: string } {
  const namespace = readCString(message, 20, message.length);
  const read = readDocument(message, namespace.next + 8, message.length);
  const query = read.doc.$query !== undefined && typeof read.doc.$query === 'object' ? read.doc.$query : read.doc;
  return { body: query as Document, db: namespace.value.replace(/\.\$cmd$/, '') };
}

/**
 * Decodes a request. Never throws: a message it cannot decode comes back with the name
 * `'(opcode N)'` or `'(undecodable)'` and an empty body, so the proxy still forwards it.
 */
export function decodeRequest(message: Buffer): WireCommand {
  const requestId = requestIdOf(message);
  const opCode = message.readInt32LE(12);
  const moreToCome = isMoreToCome(message);
  const unknown = (name: string): WireCommand => ({
    name,
    collection: '',
    db: '',
    body: {},
    sequences: {},
    requestId,
    moreToCome,
  });
  try {
    let body: Document;
    let sequences: Record<string, Document[]> = {};
    let db: string;
    if (opCode === OP_MSG) {
      ({ body, sequences } = decodeOpMsg(message));
      db = typeof body.$db === 'string' ? body.$db : '';
    } else if (opCode === OP_QUERY) {
      ({ body, db } = decodeOpQuery(message));
    } else {
      return unknown(`(opcode ${opCode})`);
    }
    const name = Object.keys(body)[0] ?? '';
    const first = name === '' ? undefined : body[name];
    return {
      name,
      collection: typeof first === 'string' ? first : '',
      db,
      body,
      sequences,
      requestId,
      moreToCome,
    };
  } catch {
    return unknown('(undecodable)');
  }
}

/**
 * The documents a command carries under `field`, wherever the driver put them: in the command
 * document (`body.updates`) or in a document sequence (`sequences.updates`). `[]` when absent.
 */
export function commandDocuments(command: WireCommand, field: string): Document[] {
  const inBody = command.body[field];
  if (Array.isArray(inBody)) return inBody as Document[];
  return command.sequences[field] ?? [];
}
