/**
 * A value a loop sends with every LLM call that does not change between calls (the tools, the
 * system prompt): the first call carries it and the activity stores it; later calls send its key.
 * A first call may also send it in parts, each stored already or carried as it is, which the
 * activity puts together in order: an agent's tools are its servers' stored lists (so history
 * holds no server's list at all) and the few tools its workflow makes. Pure: workflows use it.
 */
export type Interned<T> = { value: T } | { key: string } | { parts: Array<Interned<T>> };

export class InternedValue<T> {
  private key?: string;

  constructor(
    /** Absent when only the key is known (after continue-as-new), or only the parts. */
    readonly value: T | undefined,
    key?: string,
    private readonly parts?: Array<Interned<T>>,
  ) {
    this.key = key;
    if (value === undefined && key === undefined && parts === undefined) throw new Error('an interned value needs a value, a key or parts');
  }

  static from<T>(wire: Interned<T>): InternedValue<T> {
    if ('parts' in wire) return InternedValue.ofParts(wire.parts);
    return 'key' in wire ? new InternedValue<T>(undefined, wire.key) : new InternedValue(wire.value);
  }

  /** A value put together from parts (lists end to end, texts one after another) by the first call that sends it. */
  static ofParts<T>(parts: Array<Interned<T>>): InternedValue<T> {
    if (parts.length === 0) throw new Error('an interned value needs at least one part (an empty list is new InternedValue([]))');
    return parts.length === 1 ? InternedValue.from(parts[0]) : new InternedValue<T>(undefined, undefined, parts);
  }

  wire(): Interned<T> {
    if (this.key !== undefined) return { key: this.key };
    return this.parts ? { parts: this.parts } : { value: this.value as T };
  }

  learn(key: string): void {
    this.key = key;
  }
}
