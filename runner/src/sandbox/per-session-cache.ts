/**
 * One value per session id, made on first use and kept until the session goes (both sandbox
 * backends keep each sandbox's ops object this way, so a check reuses its grader).
 */
export class PerSessionCache<T> {
  private readonly values = new Map<string, T>();
  private readonly make: (id: string) => T;

  constructor(make: (id: string) => T) {
    this.make = make;
  }

  /** The session's value, made now when there is none yet (`make` may throw: then nothing is kept). */
  get(id: string): T {
    let value = this.values.get(id);
    if (value === undefined) {
      value = this.make(id);
      this.values.set(id, value);
    }
    return value;
  }

  delete(id: string): void {
    this.values.delete(id);
  }

  clear(): void {
    this.values.clear();
  }
}
