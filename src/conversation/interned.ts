/**
 * A value a loop sends with every LLM call that does not change between calls (the tools, the
 * system prompt): the first call carries it and the activity stores it; later calls send its key.
 * Pure: workflows use it.
 */
export type Interned<T> = { value: T } | { key: string };

export class InternedValue<T> {
  private key?: string;

  constructor(
    /** Absent when only the key is known (after continue-as-new). */
    readonly value: T | undefined,
    key?: string,
  ) {
    this.key = key;
    if (value === undefined && key === undefined) throw new Error('an interned value needs a value or a key');
  }

  static from<T>(wire: Interned<T>): InternedValue<T> {
    return 'key' in wire ? new InternedValue<T>(undefined, wire.key) : new InternedValue(wire.value);
  }

  wire(): Interned<T> {
    return this.key !== undefined ? { key: this.key } : { value: this.value as T };
  }

  learn(key: string): void {
    this.key = key;
  }
}
