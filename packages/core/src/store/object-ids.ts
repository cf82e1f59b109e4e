/**
 * Job ids from users, turned into `ObjectId`s of the driver the `Db` belongs to.
 *
 * Two copies of the driver are common (Mongoose bundles its own), and BSON refuses values made by
 * another major version (`BSONVersionError`). So Monque never uses its own `ObjectId` class: it
 * takes the class of the `Db`'s driver from that driver's primary-key factory, and re-creates ids
 * from another copy through their hex string.
 */
import type { Db, ObjectId } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../validation.js';

const BSON_VERSION = Symbol.for('@@mdb.bson.version');
const HEX_ID = /^[0-9a-fA-F]{24}$/;

interface ObjectIdClass {
  createFromHexString(hex: string): ObjectId;
}

interface PrimaryKeyFactory {
  createPk(): unknown;
}

/** `true` for an `ObjectId` of any copy of the BSON library. */
export function looksLikeObjectId(value: unknown): value is ObjectId {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { _bsontype?: unknown })._bsontype === 'ObjectId' &&
    typeof (value as ObjectId).toHexString === 'function'
  );
}

/** Makes `ObjectId`s of the `Db`'s own driver. */
export class ObjectIds {
  private readonly idClass: ObjectIdClass;
  private readonly factory: { createPk(): unknown };
  /** The BSON major version of the `Db`'s driver. */
  readonly version: unknown;

  constructor(db: Db) {
    const client = (db as { client?: { options?: { pkFactory?: { createPk(): unknown } } } }).client;
    const factory =
      (db.options as { pkFactory?: PrimaryKeyFactory } | undefined)?.pkFactory ?? client?.options?.pkFactory;
    const sample = factory?.createPk();
    if (!looksLikeObjectId(sample)) {
      throw new InvalidArgumentError(
        'db',
        'its driver does not create ObjectId primary keys (a custom pkFactory is not supported)',
      );
    }
    this.factory = factory as { createPk(): unknown };
    this.idClass = sample.constructor as unknown as ObjectIdClass;
    this.version = (sample as unknown as Record<symbol, unknown>)[BSON_VERSION];
  }

  /** A new `ObjectId` of the `Db`'s driver (a job's `_id`, made before its insert is sent). */
  create(): ObjectId {
    return this.factory.createPk() as ObjectId;
  }

  /** The id of the given 24 hex digits. */
  fromHex(hex: string): ObjectId {
    return this.idClass.createFromHexString(hex);
  }

  /**
   * Checks a job id given by a user: an `ObjectId` (of any driver copy) or a 24-hex-digit string.
   * @throws InvalidArgumentError naming `argument` for anything else (an operator object included)
   */
  parse(id: unknown, argument = 'id'): ObjectId {
    if (typeof id === 'string') {
      if (!HEX_ID.test(id)) {
        throw new InvalidArgumentError(
          argument,
          `expected an ObjectId or a 24-hex-digit string, got ${describeValue(id)}`,
        );
      }
      return this.idClass.createFromHexString(id);
    }
    if (looksLikeObjectId(id)) {
      const own = (id as unknown as Record<symbol, unknown>)[BSON_VERSION] === this.version;
      return own ? id : this.idClass.createFromHexString(id.toHexString());
    }
    throw new InvalidArgumentError(argument, `expected an ObjectId or a 24-hex-digit string, got ${describeValue(id)}`);
  }
}
