// A secret value as a type: it prints as [redacted] everywhere (String(), JSON, util.inspect,
// template literals). `.reveal()` is the only way out, so review can grep for it.

const INSPECT = Symbol.for('nodejs.util.inspect.custom')

export class Redacted<T = string> {
  readonly #value: T

  private constructor(value: T) {
    this.#value = value
  }

  static of<T>(value: T): Redacted<T> {
    return new Redacted(value)
  }

  /** Security: the only way to read the value. Call it at the last possible moment. */
  reveal(): T {
    return this.#value
  }

  toString(): string {
    return '[redacted]'
  }

  toJSON(): string {
    return '[redacted]'
  }

  [INSPECT](): string {
    return '[redacted]'
  }
}
