/** A request the dashboard API refuses before calling Monque; answered with its `status` and message. */
export class BadRequest extends Error {
  constructor(
    message: string,
    /** The HTTP status to answer with. @defaultValue 400 */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'BadRequest';
  }
}
